/**
 * `set-corruption` across machines: a dashboard asks its gateway, the gateway asks the ingest that
 * owns the stream (request/reply on decorruptor.control.corruption.<stream>; the ingest subscribes
 * for each stream it runs), and the ingest's answer is the dashboard's answer. Stream ids must be
 * unique across ingests, or two would answer.
 */
import { NoRespondersError, type Subscription } from '@nats-io/transport-node';
import { z } from 'zod';
import type { Logger } from '../log/logger.js';
import type { BrokerConnection } from './connection.js';
import { SUBJECTS } from './subjects.js';

const requestSchema = z.object({ corruption: z.string().min(1).max(200).nullable() });
const replySchema = z.union([z.object({ ok: z.literal(true), corruption: z.string().nullable() }), z.object({ ok: z.literal(false), code: z.string(), message: z.string() })]);

const REQUEST_TIMEOUT_MS = 3000;

/** The ingest's side: `apply` changes the stream's corruption or throws (a bad spec) to refuse. */
export function serveCorruptionRequests(broker: BrokerConnection, streamId: string, apply: (corruption: string | null) => void, log: Logger): Subscription {
  return broker.nc.subscribe(SUBJECTS.setCorruption(streamId), {
    callback: (error, msg) => {
      if (error) return;
      const reply = (body: z.infer<typeof replySchema>): void => void msg.respond(JSON.stringify(body));
      let corruption: string | null;
      try {
        corruption = requestSchema.parse(msg.json()).corruption;
      } catch {
        return reply({ ok: false, code: 'BAD_REQUEST', message: 'expected {"corruption": string | null}' });
      }
      try {
        apply(corruption);
        log.info(`stream ${streamId}: corruption set to ${corruption ?? 'none'} (asked through the broker)`);
        reply({ ok: true, corruption });
      } catch (cause) {
        const code = (cause as { code?: unknown }).code;
        reply({ ok: false, code: typeof code === 'string' ? code : 'REJECTED', message: (cause as Error).message });
      }
    },
  });
}

/** The gateway's side; throws (the dashboard then gets REJECTED with the message) when the ingest refuses or none answers. */
export async function requestCorruption(broker: BrokerConnection, streamId: string, corruption: string | null): Promise<void> {
  let answer: unknown;
  try {
    answer = (await broker.nc.request(SUBJECTS.setCorruption(streamId), JSON.stringify({ corruption }), { timeout: REQUEST_TIMEOUT_MS })).json();
  } catch (error) {
    if (error instanceof NoRespondersError || (error as Error).cause instanceof NoRespondersError) throw new Error(`no ingest runs stream "${streamId}" now`);
    throw new Error(`the ingest of stream "${streamId}" did not answer: ${(error as Error).message}`);
  }
  const reply = replySchema.safeParse(answer);
  if (!reply.success) throw new Error(`the ingest of stream "${streamId}" gave a malformed answer`);
  if (!reply.data.ok) throw new Error(reply.data.message);
}
