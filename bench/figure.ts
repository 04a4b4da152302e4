/** One line of the bench table: a measured value against a baseline measured in the same run. */
export interface Figure {
  /** What was measured, as a user would read it ("4 KiB PUT through the local OSS server"). */
  name: string;
  /** The measured value, in `unit`. */
  value: number;
  /** The baseline, in the same unit, measured in the same run. */
  baseline: number;
  unit: string;
  /** How `value / baseline` is read: "lower" means a smaller ratio is better (times), "higher" the reverse (throughput). */
  better: "lower" | "higher";
  /** The bound the issue sets on the ratio (at most for "lower", at least for "higher"), and the aim. */
  limit?: number;
  aim?: number;
  /** A bound on the value itself, where the issue sets one (e.g. 500 ns for a cached getElement). */
  maxValue?: number;
}

/** A benchmark module default-exports one of these. */
export type Benchmark = () => Promise<Figure[]>;
