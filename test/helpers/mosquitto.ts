/**
 * A real broker for the MQTT tests: Debian's mosquitto, started by the test on a loopback port of
 * its own with a config of its own (anonymous access, no persistence), and stopped by it. Plus a
 * recording subscriber, so that tests wait on the messages that arrive.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { connectAsync, type MqttClient } from 'mqtt';
import { freePort } from './free-port.js';
import { tempDir } from './temp-dir.js';
import { waitFor, waitOn } from './wait.js';

export const MOSQUITTO = process.env['MOSQUITTO_PATH'] ?? '/usr/sbin/mosquitto';

export interface Broker {
  port: number;
  url: string;
  /** What mosquitto has logged so far (for failure messages). */
  readonly log: string;
  stop(): Promise<void>;
}

/** Starts mosquitto (on `port`, else a free one) and resolves once it accepts an MQTT connection; stopped when the test ends. */
export async function startMosquitto(t: TestContext, { port }: { port?: number } = {}): Promise<Broker> {
  const dir = await tempDir(t, 'mosquitto-');
  const listenPort = port ?? (await freePort());
  const config = join(dir, 'mosquitto.conf');
  await writeFile(config, [`listener ${listenPort} 127.0.0.1`, 'allow_anonymous true', 'persistence false', 'log_dest stderr', ''].join('\n'));
  const child = spawn(MOSQUITTO, ['-c', config], { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  child.stderr!.setEncoding('utf8').on('data', (text: string) => (log += text));
  const exited = new Promise<void>((resolve) => child.once('close', () => resolve()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
  };
  t.after(stop);
  const url = `mqtt://127.0.0.1:${listenPort}`;
  await waitFor(
    async () => {
      if (child.exitCode !== null) throw new Error(`mosquitto exited (${child.exitCode}): ${log}`);
      return canConnect(url);
    },
    { what: `mosquitto accepting on ${url}`, timeoutMs: 10_000, intervalMs: 50, detail: () => log },
  );
  return { port: listenPort, url, stop, get log() { return log; } };
}

async function canConnect(url: string): Promise<boolean> {
  try {
    const client = await connectAsync(url, { reconnectPeriod: 0, connectTimeout: 1000 });
    await client.endAsync();
    return true;
  } catch {
    return false;
  }
}

export interface Received {
  topic: string;
  payload: Buffer;
  retain: boolean;
}

/** A subscriber that keeps every message it gets; `waitFor` resolves with the first one a check accepts. */
export class MqttRecorder extends EventEmitter {
  readonly messages: Received[] = [];
  readonly #client: MqttClient;

  private constructor(client: MqttClient) {
    super();
    this.#client = client;
    client.on('message', (topic, payload, packet) => {
      this.messages.push({ topic, payload, retain: packet.retain });
      this.emit('message');
    });
  }

  static async subscribe(t: TestContext, url: string, topic: string): Promise<MqttRecorder> {
    const client = await connectAsync(url, { reconnectPeriod: 0 });
    const recorder = new MqttRecorder(client);
    t.after(() => client.endAsync(true));
    await client.subscribeAsync(topic, { qos: 1 });
    return recorder;
  }

  messagesOn(topic: string): Received[] {
    return this.messages.filter((m) => m.topic === topic);
  }

  /** JSON payloads of a topic, in arrival order. */
  json<T = Record<string, unknown>>(topic: string): T[] {
    return this.messagesOn(topic).map((m) => JSON.parse(m.payload.toString('utf8')) as T);
  }

  waitFor<T>(check: () => T | undefined | false, what: string, timeoutMs = 20_000): Promise<T> {
    return waitOn(check, [[this, 'message']], { what, timeoutMs, detail: () => `got ${this.messages.map((m) => m.topic).join(', ') || 'nothing'}` });
  }

  /** Waits for a message on `topic` whose text is `text` (e.g. "online" on <prefix>/available). */
  waitForText(topic: string, text: string, timeoutMs?: number): Promise<Received> {
    return this.waitFor(() => this.messagesOn(topic).find((m) => m.payload.toString('utf8') === text), `"${text}" on ${topic}`, timeoutMs);
  }
}
