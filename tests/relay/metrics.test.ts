import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeEnvelope, randomRoom, RelayClient } from '../helpers/relayClient';
import { startRelay, type RunningRelay } from '../helpers/relayProcess';

let relay: RunningRelay;

beforeAll(async () => {
  relay = await startRelay();
});

afterAll(async () => {
  await relay.stop();
  relay.removeData();
});

async function scrape(): Promise<{ contentType: string; text: string }> {
  const response = await fetch(`${relay.url}/metrics`);
  expect(response.status).toBe(200);
  return { contentType: response.headers.get('content-type') ?? '', text: await response.text() };
}

/** The value of one sample line (`name{labels} value`), or undefined if the relay does not report it. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('@relay metrics', () => {
  it('reports connections, frames, appends, errors and catch-up pages in Prometheus format', async () => {
    const writer = await RelayClient.connectAs(relay.wsUrl);
    const room = await writer.createRoom();
    const sent = [1, 2, 3].map((clock) => makeEnvelope({ author: writer.device!, room, clock }).bytes);
    for (const envelope of sent) await writer.append(envelope);
    writer.sendFrame({ type: 'subscribe', room: randomRoom(), afterSeq: 0 });
    expect((await writer.expectError()).code).toBe('not_a_member');
    const unauthenticated = await RelayClient.connect(relay.wsUrl);
    const reader = await RelayClient.connectAs(relay.wsUrl, writer.device!);
    const { delivers } = await reader.subscribe(room);

    const { contentType, text } = await scrape();
    expect(contentType).toContain('text/plain');
    expect(sample(text, 'hearth_connections_open')).toBe(3);
    expect(sample(text, 'hearth_connections_authenticated')).toBe(2);
    expect(sample(text, 'hearth_frames_received_total{type="append"}')).toBe(3);
    expect(sample(text, 'hearth_frames_received_total{type="auth"}')).toBe(2);
    expect(sample(text, 'hearth_frames_sent_total{type="ack"}')).toBe(3);
    expect(sample(text, 'hearth_frames_sent_total{type="challenge"}')).toBe(3);
    expect(sample(text, 'hearth_envelopes_stored_total')).toBe(3);
    expect(sample(text, 'hearth_append_latency_seconds_count')).toBe(3);
    expect(sample(text, 'hearth_errors_sent_total{code="not_a_member"}')).toBe(1);
    expect(sample(text, 'hearth_catch_up_pages_total')).toBe(delivers.length);
    expect(text).toContain('process_cpu_seconds_total');

    // A retry is acked again but stores nothing new.
    expect((await writer.append(sent[0])).seq).toBe(1);
    unauthenticated.close();
    const after = (await scrape()).text;
    expect(sample(after, 'hearth_envelopes_stored_total')).toBe(3);
    expect(sample(after, 'hearth_append_latency_seconds_count')).toBe(4);
    writer.close();
    reader.close();
  });
});
