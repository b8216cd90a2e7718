/** The line diff shown for a stack-file edit (lib/core/textDiff.ts): only changed lines, removals before additions. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { lineDiff } from "../../lib/core/textDiff";

describe("lineDiff", () => {
  it("shows nothing for equal text", () => {
    assert.equal(lineDiff("a\nb\nc", "a\nb\nc"), "");
  });

  it("shows a changed line as its removal then its addition, and keeps the common lines out", () => {
    assert.equal(lineDiff("a\nb\nc", "a\nB\nc"), "- b\n+ B");
    assert.equal(lineDiff("x\na\nb", "y\na\nb"), "- x\n+ y", "a change in the first line");
    assert.equal(lineDiff("a\nb\nx", "a\nb\ny"), "- x\n+ y", "a change in the last line");
  });

  it("shows lines added or removed at either end or in the middle", () => {
    assert.equal(lineDiff("a\nb", "a\nb\nc\nd"), "+ c\n+ d");
    assert.equal(lineDiff("c\nd", "a\nb\nc\nd"), "+ a\n+ b");
    assert.equal(lineDiff("a\nb\nc\nd", "a\nd"), "- b\n- c");
    assert.equal(lineDiff("a\nb\nc", ""), "- a\n- b\n- c\n+ ");
    assert.equal(lineDiff("", "a"), "- \n+ a");
    assert.equal(lineDiff("a\nb\nc", "a"), "- b\n- c", "lines removed after the last common one");
  });

  it("keeps the longest common run, so a moved block shows once, not as everything changed", () => {
    assert.equal(lineDiff("1\n2\n3\n4\n5", "2\n3\n4\n5\n1"), "- 1\n+ 1");
    assert.equal(lineDiff("a\nb\nc\nd\ne\nf", "a\nx\nc\nd\ny\nf"), "- b\n+ x\n- e\n+ y");
    assert.equal(
      lineDiff("k: 1\nr: 2\ns: 3\nt: 4", "k: 1\ns: 3\nr: 2\nt: 4"),
      "- r: 2\n+ r: 2",
      "two swapped lines: on a tie the removal comes first",
    );
    assert.equal(
      lineDiff("s\nt", "p\nq\nr\ns"),
      "+ p\n+ q\n+ r\n- t",
      "the common line is kept even where the other side is longer",
    );
  });
});
