// In-process test loop for JavaScript runners, driven by the supervisor (protocol: RunPlan's
// docstring and sandbox/supervision/abrun/harness.c). argv: PROGRAM OUTPUT_CAP_BYTES. Tests arrive on fd 3,
// answers leave on fd 4. This loop only feeds the program and collects what it prints; the
// supervisor stamps each test when GO and DONE reach it, so nothing the program does to this
// process (its clocks, fs, this file's variables) can change a figure.
'use strict';
const fs = require('fs');
const path = require('path');
const util = require('util');
const vm = require('vm');

const TESTS_IN = 3;
const RESULTS_OUT = 4;
const [program, capText] = process.argv.slice(2);
const cap = Number(capText);
const exit = process.exit.bind(process);
// Compiled as a function body: the source cannot close the wrapper and run code at load time.
// `process` and `console` are parameters so that the runner sees the test's streams.
const compiled = vm.compileFunction(
  fs.readFileSync(program, 'utf8'),
  ['exports', 'require', 'module', '__filename', '__dirname', 'process', 'console'],
  { filename: program },
);

class OutputLimit extends Error {}
class ExitTrap extends Error {
  constructor(code) { super(`process.exit(${code})`); this.code = code; }
}

let input = '';
let chunks = [];
let size = 0;
function emit(text) {
  const data = typeof text === 'string' ? text : String(text);
  size += Buffer.byteLength(data);
  if (size > cap) throw new OutputLimit();
  chunks.push(data);
  return true;
}
const fakeConsole = Object.create(console);
fakeConsole.log = (...args) => emit(util.format(...args) + '\n');
fakeConsole.info = fakeConsole.log;
const fakeStdout = Object.create(process.stdout, { write: { value: (chunk) => emit(chunk) } });
const fakeProcess = Object.create(process, {
  stdout: { value: fakeStdout },
  exit: { value: (code) => { throw new ExitTrap(code === undefined ? 0 : code); } },
});
const isStdin = (file) => file === 0 || file === '/dev/stdin';
const fakeFs = Object.create(fs, {
  readFileSync: {
    value: (file, options) => {
      if (!isStdin(file)) return fs.readFileSync(file, options);
      const encoding = typeof options === 'string' ? options : options && options.encoding;
      return encoding ? input : Buffer.from(input, 'utf8');
    },
  },
});
function fakeRequire(name) {
  if (name === 'fs' || name === 'node:fs') return fakeFs;
  return require(name);
}
fakeRequire.resolve = require.resolve;

// ---- the test channel --------------------------------------------------------------------------
let pending = Buffer.alloc(0);
const readBuffer = Buffer.allocUnsafe(1 << 20);
function fill() {
  const got = fs.readSync(TESTS_IN, readBuffer, 0, readBuffer.length, null);
  if (got > 0) pending = Buffer.concat([pending, readBuffer.subarray(0, got)]);
  return got > 0;
}
function nextHeader() {
  let newline;
  while ((newline = pending.indexOf(10)) < 0) {
    if (!fill()) return null;
  }
  const [, index, length] = pending.subarray(0, newline).toString().split(' ');
  pending = pending.subarray(newline + 1);
  return { index, length: Number(length) };
}
function readInput(length) {
  while (pending.length < length) {
    if (!fill()) throw new Error('the supervisor closed the test channel mid-input');
  }
  const data = pending.subarray(0, length);
  pending = pending.subarray(length);
  return data;
}
function send(buffer) {
  for (let offset = 0; offset < buffer.length;) offset += fs.writeSync(RESULTS_OUT, buffer, offset);
}

// The paths used between two tests run once before READY, so that their first-use costs
// (lazy compilation) are not mistaken for the program's work in the first gap.
send(Buffer.alloc(0));
pending = Buffer.from('TEST 0 0\n');
nextHeader();
send(Buffer.from('READY\n'));
for (let test = nextHeader(); test !== null; test = nextHeader()) {
  send(Buffer.from(`GO ${test.index}\n`));
  input = readInput(test.length).toString('utf8');
  chunks = [];
  size = 0;
  let status = 'ok';
  let message = '';
  const module = { exports: {} };
  try {
    compiled.call(module.exports, module.exports, fakeRequire, module, program, path.dirname(program),
      fakeProcess, fakeConsole);
  } catch (error) {
    if (error instanceof ExitTrap && Number(error.code) === 0) {
      // exit(0) ends the test normally
    } else if (error instanceof OutputLimit) {
      status = 'output_limit';
    } else {
      status = 'error';
      message = String((error && error.stack) || error).slice(0, 4000);
    }
  }
  const output = Buffer.from(chunks.join(''));
  const detail = Buffer.from(message);
  input = '';
  chunks = [];
  send(Buffer.concat([Buffer.from(`DONE ${test.index} ${status} ${output.length} ${detail.length}\n`), output, detail]));
  if (status !== 'ok') break;
}
exit(0);
