import assert from 'node:assert/strict';
import { cell, fields, table } from '../../src/cli/output';

/** The CLI's tables and field lists. */

describe('CLI output', () => {
  it('renders a cell on one line: absent as -, lists joined, objects as JSON', () => {
    assert.equal(cell(undefined), '-');
    assert.equal(cell(null), '-');
    assert.equal(cell(''), '-');
    assert.equal(cell(0), '0');
    assert.equal(cell(false), 'false');
    assert.equal(cell(['a', 'b']), 'a,b');
    assert.equal(cell({ maxAttempts: 1 }), '{"maxAttempts":1}');
    assert.equal(cell('two\nlines'), 'two lines');
  });

  it('aligns columns, with no trailing spaces', () => {
    const rows = [{ id: 'crm-prod', n: 12, url: 'http://a' }, { id: 'x', n: undefined, url: 'http://bb' }];
    const text = table(rows, [
      { header: 'ID', value: (r) => r.id },
      { header: 'N', value: (r) => r.n },
      { header: 'URL', value: (r) => r.url },
    ]);
    assert.equal(text, ['ID        N   URL', 'crm-prod  12  http://a', 'x         -   http://bb'].join('\n'));
    assert.equal(table([], [{ header: 'ID', value: () => 1 }]), 'ID');
  });

  it('lists fields with aligned names, leaving absent ones out', () => {
    assert.equal(fields([['id', 'ep-1'], ['description', undefined], ['event types', ['a', 'b']]]), 'id:           ep-1\nevent types:  a,b');
  });
});
