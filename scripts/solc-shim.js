#!/usr/bin/env node
// A `solc` command line for py-solc-x, backed by the npm `solc` package (solcjs, WebAssembly).
//
// Why not `node_modules/.bin/solcjs`: it lacks `--allow-paths` (which py-solc-x may pass), prints
// an SMT notice on stdout before the JSON, and exits right after `console.log`, which truncates
// output over 64 KiB written to a pipe. Loading the module ourselves avoids all three.
//
// Supported: `--version`, `--standard-json` (input on stdin, output on stdout). `--base-path`,
// `--allow-paths` and `--include-path` take a value and are ignored: imports are resolved below,
// from the repository root and then from its node_modules, never outside the repository.
'use strict';

const fs = require('fs');
const path = require('path');

const REPO_ROOT = path.resolve(__dirname, '..');
const IMPORT_ROOTS = [REPO_ROOT, path.join(REPO_ROOT, 'node_modules')];
const IGNORED_OPTIONS_WITH_VALUE = new Set(['--base-path', '--allow-paths', '--include-path']);

const solc = require(path.join(REPO_ROOT, 'node_modules', 'solc'));

function isInside(root, candidate) {
  const relative = path.relative(root, candidate);
  return relative !== '' && !relative.startsWith('..') && !path.isAbsolute(relative);
}

// solc asks for every source unit it was not given, by its source unit name
// (`@openzeppelin/contracts/access/AccessControl.sol`, `contracts/Foo.sol`).
function findImport(unitName) {
  for (const root of IMPORT_ROOTS) {
    const candidate = path.resolve(root, unitName);
    if (isInside(root, candidate) && fs.existsSync(candidate)) {
      return { contents: fs.readFileSync(candidate, 'utf8') };
    }
  }
  return { error: `File not found in ${IMPORT_ROOTS.join(' or ')}: ${unitName}` };
}

function readStdin() {
  return new Promise((resolve, reject) => {
    const chunks = [];
    process.stdin.on('data', (chunk) => chunks.push(chunk));
    process.stdin.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    process.stdin.on('error', reject);
  });
}

// Resolve only once the whole output has been handed to the OS, so nothing is lost on exit.
function writeAll(text) {
  return new Promise((resolve, reject) => {
    process.stdout.write(text, (error) => (error ? reject(error) : resolve()));
  });
}

function parseArguments(argv) {
  const options = { version: false, standardJson: false };
  for (let i = 0; i < argv.length; i += 1) {
    const argument = argv[i];
    const [name] = argument.split('=', 1);
    if (argument === '--version') {
      options.version = true;
    } else if (argument === '--standard-json') {
      options.standardJson = true;
    } else if (IGNORED_OPTIONS_WITH_VALUE.has(name)) {
      if (!argument.includes('=')) i += 1; // skip its value
    } else {
      // The exact wording py-solc-x turns into `UnknownOption`.
      return { error: `unrecognised option '${argument}'` };
    }
  }
  return options;
}

async function main() {
  const options = parseArguments(process.argv.slice(2));
  if (options.error) {
    process.stderr.write(`${options.error}\n`);
    process.exitCode = 1;
    return;
  }
  if (options.version) {
    // py-solc-x reads `X.Y.Z+commit.HASH` out of this line.
    await writeAll(`solc, the solidity compiler commandline interface\nVersion: ${solc.version()}\n`);
    return;
  }
  if (!options.standardJson) {
    process.stderr.write('only --version and --standard-json are supported by this solc shim\n');
    process.exitCode = 1;
    return;
  }
  const input = await readStdin();
  const output = solc.compile(input, { import: findImport });
  await writeAll(output.endsWith('\n') ? output : `${output}\n`);
}

main().catch((error) => {
  process.stderr.write(`${error && error.stack ? error.stack : error}\n`);
  process.exitCode = 2;
});
