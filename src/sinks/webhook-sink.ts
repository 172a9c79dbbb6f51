/**
 * One configured webhook as a sink: a POST when a stream's adapted label changes (at most once
 * per `cooldownSeconds` per stream; the label it has when the cooldown ends goes out then) and/or
 * when a stream's state changes (state-report.ts says which changes count). JSON, or with
 * `includeSnapshot` multipart/form-data with the JSON as `payload` and the edited frame as
 * `snapshot` (image/jpeg). frame() and state() only decide and queue; WebhookDelivery posts.
 */
import type { WebhookConfig } from '../config/index.js';
import type { RgbImage } from '../image/rgb-image.js';
import type { Logger } from '../log/logger.js';
import { reportedPrediction, type FrameInference } from '../model/index.js';
import type { StreamStateEvent } from '../server/index.js';
import type { Frame } from '../stream/index.js';
import { ChangeGate } from './change-gate.js';
import { labelReport } from './label-report.js';
import type { SinkMetrics } from './sink-metrics.js';
import { encodeSnapshot, snapshotImage } from './snapshot.js';
import { StateChanges, stateReport } from './state-report.js';
import type { FrameSink } from './types.js';
import { WebhookDelivery, type WebhookRequest } from './webhook-delivery.js';

export interface WebhookSinkDeps {
  log: Logger;
  metrics: SinkMetrics;
}

const json = (payload: unknown): WebhookRequest => ({ body: JSON.stringify(payload), contentType: 'application/json' });

async function multipart(payload: { stream: string; seq: number }, image: RgbImage): Promise<WebhookRequest> {
  const form = new FormData();
  form.append('payload', new Blob([JSON.stringify(payload)], { type: 'application/json' }), 'payload.json');
  form.append('snapshot', new Blob([new Uint8Array(await encodeSnapshot(image))], { type: 'image/jpeg' }), `${payload.stream}-${payload.seq}.jpg`);
  return { body: form };
}

export class WebhookSink implements FrameSink {
  readonly name: string;
  readonly #hook: WebhookConfig;
  readonly #delivery: WebhookDelivery;
  readonly #labels: ChangeGate<string>;
  readonly #states = new StateChanges();

  /** `index`: the hook's place in `sinks.webhooks`, its name when it has none ("webhook:1"...). */
  constructor(hook: WebhookConfig, index: number, { log, metrics }: WebhookSinkDeps) {
    this.name = `webhook:${hook.name ?? index + 1}`;
    this.#hook = hook;
    this.#labels = new ChangeGate(hook.cooldownSeconds * 1000);
    this.#delivery = new WebhookDelivery({ ...hook, name: this.name, log, metrics });
  }

  frame(frame: Frame, inference: FrameInference): void {
    if (!this.#hook.on.includes('label-change')) return;
    const change = this.#labels.offer(frame.streamId, reportedPrediction(inference).label);
    if (change === undefined) return;
    const payload = { type: 'label-change', ...labelReport(frame, inference), previousLabel: change.previous ?? null };
    const image = this.#hook.includeSnapshot ? snapshotImage(frame, inference) : undefined;
    this.#delivery.enqueue({
      what: `label-change ${frame.streamId}`,
      request: async () => (image === undefined ? json(payload) : multipart(payload, image)),
    });
  }

  state(event: StreamStateEvent): void {
    // A stream that is over starts afresh if it comes back (streams come and go at run time).
    if (event.state === 'ended' || event.state === 'error') this.#labels.forget(event.sourceId);
    if (!this.#hook.on.includes('state') || !this.#states.isChange(event)) return;
    const payload = { type: 'state', ...stateReport(event) };
    this.#delivery.enqueue({ what: `state ${event.sourceId}`, request: async () => json(payload) });
  }

  close(): Promise<void> {
    return this.#delivery.close();
  }
}
