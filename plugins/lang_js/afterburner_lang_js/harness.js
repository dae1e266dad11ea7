// In-process test loop for JavaScript runners (see the plugin docstring and RunPlan's protocol).
// argv: PROGRAM TESTS_DIR COUNT TIMINGS_FILE OUTPUT_CAP_BYTES
'use strict';
const fs = require('fs');
const path = require('path');
const vm = require('vm');

const [program, testsDir, countText, timingsPath, capText] = process.argv.slice(2);
const count = Number(countText);
const cap = Number(capText);
const source = fs.readFileSync(program, 'utf8');
// `process` and `console` are parameters so that the runner sees the test's streams.
const wrapper = '(function (exports, require, module, __filename, __dirname, process, console) {';
const wrapped = new vm.Script(wrapper + source + '\n})', { filename: program });
const compiled = wrapped.runInThisContext();

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
const util = require('util');
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
  if (name === 'fs') return fakeFs;
  return require(name);
}
fakeRequire.resolve = require.resolve;

const log = fs.openSync(timingsPath, 'w');
for (let i = 0; i < count; i++) {
  input = fs.readFileSync(path.join(testsDir, `${i}.in`), 'utf8');
  chunks = [];
  size = 0;
  let status = 'ok';
  let message = '';
  const module = { exports: {} };
  const c0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
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
  const t1 = process.hrtime.bigint();
  const c1 = process.cpuUsage(c0);
  fs.writeFileSync(path.join(testsDir, `${i}.out`), chunks.join(''));
  const flat = message.replace(/\t/g, ' ').replace(/\n/g, '\\n');
  fs.writeSync(log, `${i}\t${t0}\t${t1}\t${(c1.user + c1.system) * 1000}\t${status}\t${flat}\n`);
  if (status !== 'ok') break;
}
fs.closeSync(log);
