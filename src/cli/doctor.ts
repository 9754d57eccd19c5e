/**
 * `multiprocessing-ts doctor [--json]`: what works on this machine, tried rather than guessed.
 * It loads the addon, creates and unlinks a SharedMemory block, starts and joins a tiny child with
 * each start method, and looks for the toolchain `build-native` would need.
 *
 * Exit code 0 when the package is usable (at least one start method ran a child), 1 otherwise.
 */
import { unlinkSync, writeFileSync } from 'node:fs';
import { libraryLoad, type LibraryLoadInfo } from '../boot/load-library.js';
import { getContext } from '../context.js';
import { BUILD_COMMAND, libcName, NATIVE_ENV, nativeStatus } from '../internal/native.js';
import type { StartMethod } from '../process/popen.js';
import { SharedMemory } from '../shared/shared-memory.js';
import { PACKAGE_ROOT, packageVersion } from './package-info.js';
import { probe } from './probe.js';
import { findToolchain, missingTools, TOOLCHAIN_PACKAGES, type Toolchain } from './toolchain.js';

const START_METHODS: readonly StartMethod[] = ['spawn', 'forkserver', 'thread'];
/** How long a probe child may take to start and end; a slow machine under load still fits. */
const PROBE_TIMEOUT_MS = 30_000;

interface Check {
  ok: boolean;
  /** What was found, or why it failed. */
  detail: string;
  ms?: number;
}

export interface DoctorReport {
  package: { name: 'multiprocessing-ts'; version: string; path: string };
  node: { version: string; abi: string };
  platform: string;
  arch: string;
  libc: string;
  native:
    | { loaded: true; origin: 'prebuilt' | 'compiled'; path: string }
    | { loaded: false; reason: string };
  sharedMemory: Check;
  /** How this process loaded the library (the code cache children use too). */
  library: LibraryLoadInfo;
  startMethods: Record<StartMethod, Check>;
  toolchain: Toolchain & { missing: string[] };
  /** At least one start method ran a child. */
  usable: boolean;
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Without the addon there is no SharedMemory: whether /dev/shm takes a file at all is still worth saying. */
function checkShmDirectory(): Check {
  const path = `/dev/shm/mp-doctor-${process.pid}`;
  try {
    writeFileSync(path, 'x', { flag: 'wx', mode: 0o600 });
    unlinkSync(path);
    return { ok: true, detail: 'writable (tried with a plain file: SharedMemory itself needs the native addon)' };
  } catch (error) {
    return { ok: false, detail: message(error) };
  }
}

function checkSharedMemory(): Check {
  let shm: SharedMemory | undefined;
  try {
    shm = new SharedMemory({ create: true, size: 4096 });
    shm.buf![0] = 1;
    const name = shm.name;
    shm.close();
    shm.unlink();
    shm = undefined;
    return { ok: true, detail: `created and unlinked a 4 KiB block (/dev/shm/${name})` };
  } catch (error) {
    return { ok: false, detail: message(error) };
  } finally {
    try {
      shm?.unlink();
    } catch {
      // already gone, or never made
    }
  }
}

async function checkStartMethod(method: StartMethod): Promise<Check> {
  const status = nativeStatus();
  if (!status.available && method !== 'thread') {
    // Not tried: such a child would only crash at its first step, printing a stack trace here.
    return { ok: false, detail: 'not tried: needs the native addon' };
  }
  const started = performance.now();
  let child: InstanceType<ReturnType<typeof getContext>['Process']> | undefined;
  try {
    child = new (getContext(method).Process)({ target: probe, name: `doctor-${method}` });
    child.start();
    await child.join({ timeout: PROBE_TIMEOUT_MS });
    const ms = Math.round(performance.now() - started);
    if (child.exitCode === null) {
      child.kill();
      await child.join({ timeout: 5_000 });
      return { ok: false, detail: `the child did not end within ${PROBE_TIMEOUT_MS / 1000} s`, ms };
    }
    if (child.exitCode !== 0) return { ok: false, detail: `the child exited with code ${child.exitCode}`, ms };
    return { ok: true, detail: `started and joined a child in ${ms} ms`, ms };
  } catch (error) {
    return { ok: false, detail: message(error) };
  }
}

export async function diagnose(): Promise<DoctorReport> {
  const status = nativeStatus();
  const native: DoctorReport['native'] = status.available
    ? { loaded: true, origin: status.origin, path: status.path }
    : { loaded: false, reason: status.reason };
  const sharedMemory = status.available ? checkSharedMemory() : checkShmDirectory();
  const startMethods = {} as Record<StartMethod, Check>;
  for (const method of START_METHODS) startMethods[method] = await checkStartMethod(method);
  const toolchain = findToolchain();
  return {
    package: { name: 'multiprocessing-ts', version: packageVersion(), path: PACKAGE_ROOT },
    node: { version: process.version, abi: process.versions.modules },
    platform: process.platform,
    arch: process.arch,
    libc: process.platform === 'linux' ? libcName() : 'n/a',
    native,
    sharedMemory,
    library: { ...libraryLoad },
    startMethods,
    toolchain: { ...toolchain, missing: missingTools(toolchain) },
    usable: Object.values(startMethods).some((check) => check.ok),
  };
}

function mark(ok: boolean): string {
  return ok ? 'ok  ' : 'FAIL';
}

function describeCodeCache(load: LibraryLoadInfo): string {
  if (load.via === 'require') return '--    off: source maps are enabled (the library loads through Node, for readable stack traces)';
  if (load.codeCache === 'off') return '--    off: MULTIPROCESSING_TS_CODE_CACHE=0, NODE_DISABLE_COMPILE_CACHE, or no private folder for it';
  const how = { used: 'used', missing: 'written now (first run)', rejected: 'rewritten (made by another Node version or flags)' }[load.codeCache];
  return `ok    ${how}: ${load.cacheFile}`;
}

/** The report as people read it: one line per check, then what to do about failures. */
export function formatReport(report: DoctorReport): string {
  const lines = [
    `multiprocessing-ts ${report.package.version} (${report.package.path})`,
    `  Node.js        ${report.node.version} (ABI ${report.node.abi})`,
    `  platform       ${report.platform}-${report.arch}, ${report.libc}`,
  ];
  const { native } = report;
  lines.push(
    native.loaded
      ? `  native addon   ok    ${native.origin}: ${native.path}`
      : `  native addon   ${process.env[NATIVE_ENV] === '0' ? 'off ' : 'FAIL'}  ${native.reason}`,
  );
  lines.push(`  /dev/shm       ${mark(report.sharedMemory.ok)}  ${report.sharedMemory.detail}`);
  lines.push(`  code cache     ${describeCodeCache(report.library)}`);
  for (const [method, check] of Object.entries(report.startMethods)) {
    lines.push(`  ${method.padEnd(14)} ${mark(check.ok)}  ${check.detail}`);
  }
  const { toolchain } = report;
  lines.push(
    toolchain.missing.length === 0
      ? `  toolchain      ok    make ${toolchain.make}, C++ ${toolchain.cxx}, python ${toolchain.python} (for \`build-native\`)`
      : `  toolchain      --    missing ${toolchain.missing.join(', ')} (needed only by \`build-native\`)`,
  );
  const working = Object.entries(report.startMethods).filter(([, check]) => check.ok).map(([method]) => method);
  lines.push('');
  lines.push(report.usable ? `Usable: yes (start methods that work: ${working.join(', ')}).` : 'Usable: no (no start method could run a child).');
  if (!native.loaded && process.env[NATIVE_ENV] !== '0') {
    lines.push(`To compile the addon for this machine: ${BUILD_COMMAND}`);
    if (toolchain.missing.length > 0) {
      lines.push('It needs the build tools first:');
      for (const [distribution, command] of TOOLCHAIN_PACKAGES) lines.push(`  ${`${distribution}:`.padEnd(15)} ${command}`);
    }
  }
  return lines.join('\n');
}

const USAGE = `Usage: multiprocessing-ts doctor [--json]

Checks what works here: the native addon, shared memory, each start method, the build tools.
Exit code 0 when at least one start method can run a child.`;

/** Runs the command; resolves the exit code. */
export async function doctor(args: readonly string[]): Promise<number> {
  if (args.includes('--help') || args.includes('-h')) {
    console.log(USAGE);
    return 0;
  }
  const unknown = args.find((arg) => arg !== '--json');
  if (unknown !== undefined) {
    console.error(`multiprocessing-ts doctor: unknown argument ${unknown}\n\n${USAGE}`);
    return 2;
  }
  const report = await diagnose();
  console.log(args.includes('--json') ? JSON.stringify(report, null, 2) : formatReport(report));
  return report.usable ? 0 : 1;
}
