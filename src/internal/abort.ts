/**
 * Listening for an AbortSignal without one DOM listener per pending call. Users share one signal
 * across many calls (a request's signal, a shutdown signal); one `addEventListener` per call
 * would trip Node's MaxListenersExceededWarning past ten pending calls. Here each signal gets
 * a single listener, held only while some call still listens.
 */

type Listener = () => void;

interface Registration {
  readonly callbacks: Set<Listener>;
  readonly fire: () => void;
}

const registrations = new WeakMap<AbortSignal, Registration>();

/**
 * Calls `listener` once when `signal` aborts (on a microtask if it has already aborted);
 * returns a function that stops listening (idempotent, a no-op once the signal has fired).
 */
export function onAbort(signal: AbortSignal, listener: () => void): () => void {
  let done = false;
  const callback: Listener = () => {
    if (done) return;
    done = true;
    listener();
  };
  if (signal.aborted) {
    queueMicrotask(callback);
    return () => {
      done = true;
    };
  }
  let registration = registrations.get(signal);
  if (registration === undefined) {
    const callbacks = new Set<Listener>();
    const fire = (): void => {
      registrations.delete(signal);
      for (const each of [...callbacks]) each();
      callbacks.clear();
    };
    registration = { callbacks, fire };
    registrations.set(signal, registration);
    signal.addEventListener('abort', fire, { once: true });
  }
  const { callbacks, fire } = registration;
  callbacks.add(callback);
  return () => {
    done = true;
    if (!callbacks.delete(callback) || callbacks.size > 0) return;
    // Nobody listens any more: let go of the signal entirely.
    signal.removeEventListener('abort', fire);
    if (registrations.get(signal)?.fire === fire) registrations.delete(signal);
  };
}
