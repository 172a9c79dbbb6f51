/**
 * Which tensor of a model plays which role: the manifest's name when it gives one, else the
 * model's own when only one of its tensors can be meant, else the conventional name. Conservative
 * on purpose: two tensors that could both be meant (a unet's sample and cond, both [B,C,h,w]) are
 * never told apart by guessing; the error then asks for the names.
 */
import type { OnnxModel } from './onnx-model.js';

export type TensorKind = 'input' | 'output';

/** What resolution needs of a model: its file and tensor metadata (an OnnxModel). */
export type ModelTensors = Pick<OnnxModel, 'file' | 'inputNames' | 'outputNames' | 'tensorMeta'>;

export interface TensorRole {
  kind: TensorKind;
  /** The manifest field that names it, e.g. 'classifier.input'. */
  field: string;
  /** The manifest's name for it, if the manifest gives one. */
  given: string | undefined;
  /** The name used when the model has several tensors that could be meant. */
  conventional: string;
  /** Ranks the tensor may have ([B,3,H,W]: 4; [B]: 0 or 1); tensors of other declared ranks are not candidates. */
  ranks: readonly number[];
}

export function namesOf(model: ModelTensors, kind: TensorKind): readonly string[] {
  return kind === 'input' ? model.inputNames : model.outputNames;
}

/** Lists a model's tensors of one kind with their shapes, for error messages. */
export function describeTensors(model: ModelTensors, kind: TensorKind, names: readonly string[] = namesOf(model, kind)): string {
  if (names.length === 0) return 'none';
  return names.map((name) => {
    const meta = model.tensorMeta(kind, name);
    return meta ? `${name} ${meta.type}[${meta.shape.join(',')}]` : name;
  }).join(', ');
}

/** Thrown by resolveTensorNames: why a role has no tensor, naming the manifest field and the model's tensors. */
export class TensorNameError extends Error {}

/**
 * The tensor name of each role, in order. Names the manifest gives claim their tensors first, so
 * that e.g. a given sample input leaves one candidate for cond.
 * @throws TensorNameError
 */
export function resolveTensorNames(model: ModelTensors, roles: readonly TensorRole[]): string[] {
  const claimed = new Set<string>();
  for (const role of roles) {
    if (role.given === undefined) continue;
    if (!namesOf(model, role.kind).includes(role.given)) {
      throw new TensorNameError(`has no ${role.kind} tensor '${role.given}', which ${role.field} names (${role.kind}s: ${namesOf(model, role.kind).join(', ') || 'none'})`);
    }
    claimed.add(`${role.kind}:${role.given}`);
  }
  return roles.map((role) => role.given ?? resolveOne(model, role, claimed));
}

function resolveOne(model: ModelTensors, role: TensorRole, claimed: Set<string>): string {
  const free = namesOf(model, role.kind).filter((name) => !claimed.has(`${role.kind}:${name}`));
  const candidates = free.filter((name) => {
    const rank = model.tensorMeta(role.kind, name)?.shape.length ?? 0;
    return rank === 0 || role.ranks.includes(rank);
  });
  const name = candidates.length === 1 ? candidates[0] : free.includes(role.conventional) ? role.conventional : undefined;
  if (name === undefined) {
    const why = candidates.length === 0
      ? `has no ${role.kind} that can be ${role.field} (${role.kind}s: ${describeTensors(model, role.kind)})`
      : `cannot tell which ${role.kind} is ${role.field}: ${describeTensors(model, role.kind, candidates)} could be; name it with ${role.field} in the manifest`;
    throw new TensorNameError(why);
  }
  claimed.add(`${role.kind}:${name}`);
  return name;
}
