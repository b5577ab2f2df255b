/**
 * Topic-pattern subscriptions (`topic_pattern`) in linear time: a restricted regular-expression
 * syntax (RE2's semantics for what it accepts, as Kafka's KIP-848 uses RE2/J) compiled to a
 * program and run as a Pike VM, so matching a name of n characters against a pattern of m
 * costs O(n·m) whatever the pattern: `(a+)+` cannot backtrack, because nothing backtracks.
 *
 * Syntax: literals; `.`; classes `[a-z0-9._-]`, `[^...]`; escapes `\d \w \s \D \W \S` and `\`
 * before any punctuation; groups `( )` and `(?: )`; alternation `|`; `*`, `+`, `?`; a leading
 * `^` and trailing `$` (the match is always of the whole name). Anything else — backreferences,
 * lookaround, counted repeats `{n,m}`, an unbalanced parenthesis — is refused with a clear error,
 * so a pattern can never escape its whole-name anchoring (`x)|(.*` is a syntax error).
 * Pure; no I/O. Called by the group membership rules (src/groups/membership.ts).
 */
import { fail, ok, type Result } from "../protocol/errors.ts";

type Test = (ch: string) => boolean;
type Node =
  | { t: "char"; test: Test }
  | { t: "cat"; items: Node[] }
  | { t: "alt"; a: Node; b: Node }
  | { t: "rep"; op: "*" | "+" | "?"; x: Node };

type Inst = { op: "char"; test: Test } | { op: "split"; x: number; y: number } | { op: "jmp"; x: number } | { op: "match" };

export const MAX_TOPIC_PATTERN_LENGTH = 1_000;

class SyntaxError_ extends Error {}

const CLASSES: Record<string, Test> = {
  d: (c) => c >= "0" && c <= "9",
  w: (c) => /^[A-Za-z0-9_]$/.test(c),
  s: (c) => c === " " || c === "\t" || c === "\n" || c === "\r" || c === "\f" || c === "\v",
};

function escapeTest(e: string | undefined, where: number): Test {
  if (e === undefined) throw new SyntaxError_(`trailing \\ at ${where}`);
  const lower = CLASSES[e];
  if (lower) return lower;
  const upper = CLASSES[e.toLowerCase()];
  if (upper && e !== e.toLowerCase()) return (c) => !upper(c);
  if (/[A-Za-z0-9]/.test(e)) throw new SyntaxError_(`unsupported escape \\${e} at ${where}`);
  return (c) => c === e;
}

class Parser {
  i = 0;
  constructor(readonly s: string) {}

  parseAll(): Node {
    if (this.s[this.i] === "^") this.i++;
    const n = this.alt();
    if (this.s[this.i] === "$" && this.i === this.s.length - 1) this.i++;
    if (this.i < this.s.length) throw new SyntaxError_(`unexpected "${this.s[this.i]}" at ${this.i}`);
    return n;
  }

  alt(): Node {
    let n = this.cat();
    while (this.s[this.i] === "|") {
      this.i++;
      n = { t: "alt", a: n, b: this.cat() };
    }
    return n;
  }

  cat(): Node {
    const items: Node[] = [];
    while (this.i < this.s.length && this.s[this.i] !== "|" && this.s[this.i] !== ")" && !this.atFinalDollar()) {
      let atom = this.atom();
      while ("*+?".includes(this.s[this.i] ?? "x")) {
        const op = this.s[this.i++] as "*" | "+" | "?";
        if (this.s[this.i] === "?" || this.s[this.i] === "+") throw new SyntaxError_(`lazy/possessive quantifiers are not supported (at ${this.i})`);
        atom = { t: "rep", op, x: atom };
      }
      items.push(atom);
    }
    return { t: "cat", items };
  }

  atFinalDollar(): boolean {
    return this.s[this.i] === "$" && this.i === this.s.length - 1;
  }

  atom(): Node {
    const at = this.i;
    const c = this.s[this.i++]!;
    if (c === "(") {
      if (this.s[this.i] === "?") {
        if (this.s[this.i + 1] !== ":") throw new SyntaxError_(`only (?: ) groups are supported (at ${at})`);
        this.i += 2;
      }
      const n = this.alt();
      if (this.s[this.i++] !== ")") throw new SyntaxError_(`unbalanced "(" at ${at}`);
      return n;
    }
    if (c === ".") return { t: "char", test: () => true };
    if (c === "[") return { t: "char", test: this.klass(at) };
    if (c === "\\") return { t: "char", test: escapeTest(this.s[this.i++], at) };
    if ("*+?{}^$".includes(c)) throw new SyntaxError_(`"${c}" at ${at} is not supported here`);
    return { t: "char", test: (x) => x === c };
  }

  klass(at: number): Test {
    const negate = this.s[this.i] === "^";
    if (negate) this.i++;
    const parts: Test[] = [];
    let first = true;
    while (this.i < this.s.length && (this.s[this.i] !== "]" || first)) {
      first = false;
      const c = this.s[this.i++]!;
      if (c === "\\") {
        parts.push(escapeTest(this.s[this.i++], this.i - 1));
      } else if (this.s[this.i] === "-" && this.s[this.i + 1] !== undefined && this.s[this.i + 1] !== "]") {
        const hi = this.s[this.i + 1]!;
        this.i += 2;
        if (hi < c) throw new SyntaxError_(`bad range ${c}-${hi} at ${this.i - 3}`);
        parts.push((x) => x >= c && x <= hi);
      } else parts.push((x) => x === c);
    }
    if (this.s[this.i++] !== "]") throw new SyntaxError_(`unbalanced "[" at ${at}`);
    return (x) => parts.some((p) => p(x)) !== negate;
  }
}

function compile(n: Node, prog: Inst[]): void {
  if (n.t === "char") prog.push({ op: "char", test: n.test });
  else if (n.t === "cat") for (const x of n.items) compile(x, prog);
  else if (n.t === "alt") {
    const split = prog.push({ op: "split", x: 0, y: 0 }) - 1;
    compile(n.a, prog);
    const jmp = prog.push({ op: "jmp", x: 0 }) - 1;
    compile(n.b, prog);
    prog[split] = { op: "split", x: split + 1, y: jmp + 1 };
    prog[jmp] = { op: "jmp", x: prog.length };
  } else if (n.op === "+") {
    const start = prog.length;
    compile(n.x, prog);
    prog.push({ op: "split", x: start, y: prog.length + 1 });
  } else {
    const split = prog.push({ op: "split", x: 0, y: 0 }) - 1;
    compile(n.x, prog);
    if (n.op === "*") prog.push({ op: "jmp", x: split });
    prog[split] = { op: "split", x: split + 1, y: prog.length };
  }
}

/** A compiled pattern: `test(name)` is a whole-name match in O(name × pattern). */
export class TopicPattern {
  private constructor(private readonly prog: readonly Inst[]) {}

  static compile(source: string): Result<TopicPattern> {
    if (source.length === 0 || source.length > MAX_TOPIC_PATTERN_LENGTH)
      return fail("INVALID_REQUEST", `topic_pattern must be 1 to ${MAX_TOPIC_PATTERN_LENGTH} characters`);
    try {
      const prog: Inst[] = [];
      compile(new Parser(source).parseAll(), prog);
      prog.push({ op: "match" });
      return ok(new TopicPattern(prog));
    } catch (e) {
      if (e instanceof SyntaxError_) return fail("INVALID_REQUEST", `topic_pattern is not a supported regular expression: ${e.message}`);
      throw e;
    }
  }

  test(name: string): boolean {
    const seen = new Int32Array(this.prog.length).fill(-1);
    let current: number[] = [];
    this.add(current, 0, seen, 0);
    for (let i = 0; i < name.length && current.length > 0; i++) {
      const next: number[] = [];
      for (const pc of current) {
        const inst = this.prog[pc]!;
        if (inst.op === "char" && inst.test(name[i]!)) this.add(next, pc + 1, seen, i + 1);
      }
      current = next;
    }
    return current.some((pc) => this.prog[pc]!.op === "match");
  }

  /** Adds `pc` and every state reachable from it without reading a character (each once per step). */
  private add(list: number[], pc: number, seen: Int32Array, step: number): void {
    const stack = [pc];
    while (stack.length > 0) {
      const at = stack.pop()!;
      if (seen[at] === step) continue;
      seen[at] = step;
      const inst = this.prog[at]!;
      if (inst.op === "jmp") stack.push(inst.x);
      else if (inst.op === "split") stack.push(inst.y, inst.x);
      else list.push(at);
    }
  }
}
