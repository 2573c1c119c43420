import { readFileSync } from 'node:fs';
import { expect } from 'chai';
import { SETTINGS } from '../../src/config/load.ts';

describe('README configuration table', () => {
  it('documents every setting the loader accepts', () => {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    const missing = SETTINGS.map((s) => s.name).filter((n) => !readme.includes(`\`${n}\``));
    expect(missing).to.deep.equal([]);
  });
});
