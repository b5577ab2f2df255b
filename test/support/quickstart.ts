/**
 * The README's quick start as a script, for test/e2e/quickstart.test.ts. Pure; no I/O.
 *
 * The block is the one ```sh fence of the README's "## Quick start" section. An expectation is a
 * line `# → <answer>` at the start of a line, continued by lines `#   <more>` (a hash and three
 * blanks); a step is the commands since the previous expectation and the expectation after them,
 * so every line a command prints belongs to the next expectation. `instrument` puts a marker line
 * (printed to stdout) after each expectation and at the end; `splitOutput` cuts stdout at the
 * markers into one output per step and what came after the last expectation.
 */

export interface QuickstartStep {
  /** The commands since the previous expectation, as the README has them. */
  commands: string;
  /** The answer the comment shows, without the `# → ` / `#   ` prefixes, lines joined by "\n". */
  expected: string;
  /** 1-based line of the `# →` line within the block. */
  line: number;
  /** 0-based index of the expectation's last line within the block. */
  lastLine: number;
}

export interface Quickstart {
  steps: QuickstartStep[];
  /** Commands after the last expectation: they must print nothing. */
  tail: string;
}

const EXPECT = /^# → (.*)$/;
const CONTINUED = /^# {3}(\S.*)$/;
const MARK = "\u001e"; // ASCII record separator: never in an answer
const END = "end";

/** The body of the ```sh block in the "## Quick start" section. */
export function quickstartBlock(readme: string): string {
  const section = /^## Quick start\n([\s\S]*?)(?=^## |(?![\s\S]))/m.exec(readme);
  if (section === null) throw new Error('README has no "## Quick start" section');
  const blocks = [...section[1]!.matchAll(/^```sh\n([\s\S]*?)^```$/gm)];
  if (blocks.length !== 1) throw new Error(`Quick start has ${blocks.length} sh blocks, not 1`);
  return blocks[0]![1]!;
}

/** The block's steps. Throws on an expectation that does not start its line. */
export function parseQuickstart(block: string): Quickstart {
  const lines = block.split("\n");
  const steps: QuickstartStep[] = [];
  let commands: string[] = [];
  for (let i = 0; i < lines.length; i += 1) {
    const line = lines[i]!;
    const head = EXPECT.exec(line);
    if (head === null) {
      if (line.includes("# →")) throw new Error(`line ${i + 1}: put "# →" first on its line: ${line}`);
      commands.push(line);
      continue;
    }
    const expected = [head[1]!];
    let more: RegExpExecArray | null;
    while ((more = CONTINUED.exec(lines[i + 1] ?? "")) !== null) {
      expected.push(more[1]!);
      i += 1;
    }
    steps.push({
      commands: commands.join("\n").trim(),
      expected: expected.join("\n"),
      line: i + 2 - expected.length,
      lastLine: i,
    });
    commands = [];
  }
  return { steps, tail: commands.join("\n").trim() };
}

/** The block with a stdout marker after each expectation and one at the end. */
export function instrument(block: string): string {
  const after = new Map(parseQuickstart(block).steps.map((step, i) => [step.lastLine, i]));
  const out: string[] = [];
  block.split("\n").forEach((line, i) => {
    out.push(line);
    const step = after.get(i);
    if (step !== undefined) out.push(marker(String(step)));
  });
  out.push(marker(END));
  return out.join("\n");
}

/** A command printing the marker on a line of its own (the output before it may lack a newline). */
const marker = (name: string): string => `printf '\\n\\036%s\\n' ${name}`;

/**
 * stdout cut at the markers: `outputs[i]` is what step i printed, `tail` what came after the last
 * expectation; `ended` is whether the end marker came (the script ran to its last line).
 */
export function splitOutput(stdout: string): { outputs: string[]; tail: string; ended: boolean } {
  const outputs: string[] = [];
  const re = new RegExp(`\\n${MARK}(\\d+|${END})\\n`, "g");
  let from = 0;
  for (const m of stdout.matchAll(re)) {
    const text = stdout.slice(from, m.index);
    from = m.index + m[0].length;
    if (m[1] === END) return { outputs, tail: text, ended: true };
    outputs.push(text);
  }
  return { outputs, tail: stdout.slice(from), ended: false };
}
