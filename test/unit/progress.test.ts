import { expect } from 'chai';
import type { CliIo } from '../../src/cli/io.ts';
import { progress } from '../../src/cli/progress.ts';

function io(tty: boolean): { io: CliIo; text: () => string } {
  let text = '';
  const w = {
    write: (s: string) => {
      text += s;
      return true;
    },
    isTTY: tty,
  };
  return { io: { stdout: w, stderr: w, stdin: process.stdin, env: {} }, text: () => text };
}

describe('progress of long commands', () => {
  it('without a terminal: a plain line per 10 % step with the total and an ETA, then a done line', () => {
    let t = 0;
    const o = io(false);
    const p = progress(o.io, { label: 'restore database', total: 100 * 1048576, unit: 'bytes', now: () => t });
    for (let mb = 1; mb <= 100; mb++) {
      t += 100;
      p.update(mb * 1048576);
    }
    p.finish();
    const lines = o.text().trimEnd().split('\n');
    expect(lines).to.have.length(12);
    expect(lines[0]).to.equal('restore database: 1% (1.0 MB of 100.0 MB, ETA 0:10)');
    expect(lines[5]).to.equal('restore database: 50% (50.0 MB of 100.0 MB, ETA 0:05)');
    expect(lines[10]).to.equal('restore database: 100% (100.0 MB of 100.0 MB)');
    expect(lines[11]).to.equal('restore database: done, 100.0 MB in 10.0 s');
    expect(o.text()).to.not.include('\r');
  });

  it('without a total: a line at most every interval', () => {
    let t = 0;
    const o = io(false);
    const p = progress(o.io, { label: 'backup files', unit: 'bytes', lineIntervalMs: 1000, now: () => t });
    for (let i = 1; i <= 30; i++) {
      t += 100;
      p.update(i * 1048576);
    }
    expect(o.text().trimEnd().split('\n')).to.deep.equal(['backup files: 1.0 MB', 'backup files: 11.0 MB', 'backup files: 21.0 MB']);
  });

  it('on a terminal: one line redrawn with a bar, at most ten times a second', () => {
    let t = 0;
    const o = io(true);
    const p = progress(o.io, { label: 'demo data (small)', total: 1000, unit: 'items', noun: 'rows', now: () => t });
    for (let i = 1; i <= 1000; i++) {
      t += 1;
      p.update(i);
    }
    p.finish();
    const draws = o.text().split('\r').filter(Boolean);
    expect(draws.length).to.be.within(10, 12);
    // eslint-disable-next-line no-control-regex -- the terminal's erase-line sequence
    expect(draws[4]).to.match(/^demo data \(small\) \[#+-+\] \d+% \(\d+ of 1,000 rows, ETA 0:0\d\)\x1b\[K$/);
    expect(draws.at(-1)).to.equal('demo data (small): done, 1,000 rows in 1.0 s\x1b[K\n');
  });
});
