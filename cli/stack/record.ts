import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { StateRecordError } from './errors.js';

/** A process this project started; `startTime` (from /proc/<pid>/stat) guards against PID reuse. */
const ProcessRecordSchema = z.object({
  pid: z.number().int().positive(),
  program: z.string().min(1),
  startTime: z.string().min(1),
  log: z.string(),
  startedAt: z.string(),
});

const RouteRecordSchema = z.object({
  args: z.array(z.string()),
  addedAt: z.string(),
});

const StackRecordSchema = z.object({
  version: z.literal(1),
  pcscd: ProcessRecordSchema.optional(),
  redis: ProcessRecordSchema.optional(),
  route: RouteRecordSchema.optional(),
});

export type ProcessRecord = z.infer<typeof ProcessRecordSchema>;
export type RouteRecord = z.infer<typeof RouteRecordSchema>;
export type StackRecord = z.infer<typeof StackRecordSchema>;

export function emptyRecord(): StackRecord {
  return { version: 1 };
}

/**
 * Reads stack.json; a missing file is an empty record.
 * @throws StateRecordError when the file exists but is not a valid record.
 */
export async function readRecord(file: string): Promise<StackRecord> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return emptyRecord();
    throw new StateRecordError(`cannot read ${file}`, { cause: err });
  }
  try {
    return StackRecordSchema.parse(JSON.parse(text));
  } catch (err) {
    throw new StateRecordError(`${file} is not a valid stack record; remove it after checking what runs`, {
      cause: err,
    });
  }
}

/** Writes the record atomically, or removes the file when nothing is recorded. */
export async function writeRecord(file: string, record: StackRecord): Promise<void> {
  if (record.pcscd === undefined && record.redis === undefined && record.route === undefined) {
    await rm(file, { force: true });
    return;
  }
  await mkdir(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, `${JSON.stringify(record, null, 2)}\n`);
  await rename(tmp, file);
}
