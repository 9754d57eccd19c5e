/**
 * What compiling the native addon from source needs (`build-native`, reported by `doctor`):
 * make, a C++ compiler and python3 (node-gyp's), found on PATH as node-gyp will look for them.
 */
import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, isAbsolute, join } from 'node:path';

export interface Toolchain {
  make: string | null;
  /** `$CXX` when set, else the first of g++, c++, clang++. */
  cxx: string | null;
  /** `$PYTHON` when set, else python3 or python. */
  python: string | null;
}

/** The install commands that bring the toolchain, per distribution. */
export const TOOLCHAIN_PACKAGES: readonly (readonly [distribution: string, command: string])[] = [
  ['Debian/Ubuntu', 'sudo apt-get install -y build-essential python3'],
  ['Fedora/RHEL', 'sudo dnf install -y gcc-c++ make python3'],
  ['Alpine', 'apk add build-base python3 linux-headers'],
];

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/** The path of an executable as a shell would find it, or null. */
export function findCommand(name: string, searchPath = process.env.PATH ?? ''): string | null {
  if (name.includes('/')) return isExecutable(name) ? name : null;
  for (const dir of searchPath.split(delimiter)) {
    if (dir === '' || !isAbsolute(dir)) continue;
    const candidate = join(dir, name);
    if (isExecutable(candidate)) return candidate;
  }
  return null;
}

function firstFound(override: string | undefined, names: readonly string[]): string | null {
  // An override such as CXX="ccache g++" names the command first.
  const chosen = override?.trim().split(/\s+/)[0];
  if (chosen) return findCommand(chosen);
  for (const name of names) {
    const found = findCommand(name);
    if (found !== null) return found;
  }
  return null;
}

export function findToolchain(): Toolchain {
  return {
    make: findCommand('make'),
    cxx: firstFound(process.env.CXX, ['g++', 'c++', 'clang++']),
    python: firstFound(process.env.PYTHON, ['python3', 'python']),
  };
}

/** What is missing, in words ('make', 'a C++ compiler', 'python3'); empty when nothing is. */
export function missingTools(toolchain: Toolchain): string[] {
  const missing: string[] = [];
  if (toolchain.make === null) missing.push('make');
  if (toolchain.cxx === null) missing.push(process.env.CXX ? `the C++ compiler $CXX (${process.env.CXX})` : 'a C++ compiler (g++ or clang++)');
  if (toolchain.python === null) missing.push(process.env.PYTHON ? `$PYTHON (${process.env.PYTHON})` : 'python3');
  return missing;
}
