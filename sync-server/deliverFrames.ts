import { CATCH_UP_PAGE_BYTES, CATCH_UP_PAGE_ENVELOPES } from '../src/lib/protocol/limits';
import { encodeFrame, type Delivery } from '../src/lib/protocol/frames';

// One commit's envelopes go to many sockets: encode the DELIVER frames once per list, not once per socket.
const encoded = new WeakMap<Delivery[], Uint8Array[]>();

/**
 * DELIVER frames for `deliveries` (in seq order), split so no frame carries more than CATCH_UP_PAGE_ENVELOPES
 * envelopes or CATCH_UP_PAGE_BYTES of envelope bytes. Memoized by the array's identity.
 */
export function deliverFrames(room: Uint8Array, deliveries: Delivery[]): Uint8Array[] {
  const cached = encoded.get(deliveries);
  if (cached) return cached;
  const frames = pages(deliveries).map((page) => encodeFrame({ type: 'deliver', room, deliveries: page }));
  encoded.set(deliveries, frames);
  return frames;
}

function pages(deliveries: Delivery[]): Delivery[][] {
  const out: Delivery[][] = [];
  let page: Delivery[] = [];
  let bytes = 0;
  for (const d of deliveries) {
    const full = page.length >= CATCH_UP_PAGE_ENVELOPES || bytes + d.envelope.length > CATCH_UP_PAGE_BYTES;
    if (page.length > 0 && full) {
      out.push(page);
      page = [];
      bytes = 0;
    }
    page.push(d);
    bytes += d.envelope.length;
  }
  if (page.length > 0) out.push(page);
  return out;
}
