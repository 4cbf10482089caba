/**
 * A deployment target: a thin entry that serves the same src/app.ts, plus its platform files.
 * Nothing about the app changes between targets. A project can add its own target by
 * implementing this interface (see docs/targets.md).
 */
import type { OutputFile } from "../compiler/4-emit/index.js";
import type { ProjectIR } from "../compiler/ir.js";

export interface Target {
  name: string;
  emit(ir: ProjectIR): OutputFile[];
}
