/**
 * The coordinator's producer ids (src/coordinator/producer-ids.ts) on node:sqlite with the
 * migrations the Durable Object applies: ids never reused, transactional ids re-epoch and fence,
 * KIP-360 bumps only from the current epoch, epoch exhaustion moves to a fresh id, expiry
 * forgets producers (bounded per call) without ever reusing an id.
 */
import { beforeEach, describe, expect, it } from "vitest";
import { FIRST_PRODUCER_ID, ProducerIds } from "../../src/coordinator/producer-ids.ts";
import { applyMigrations } from "../../src/storage/migrations.ts";
import { MAX_PRODUCER_EPOCH } from "../../src/log/producer-state.ts";
import { FakeClock } from "../support/fake-clock.ts";
import { readMigrations } from "../support/migrations.ts";
import { NodeSqlitePort } from "../support/node-sqlite-port.ts";

const EXPIRATION_MS = 10_000;
let sql: NodeSqlitePort;
let clock: FakeClock;
let ids: ProducerIds;

beforeEach(() => {
  sql = new NodeSqlitePort();
  applyMigrations(sql, readMigrations("cluster-coordinator"));
  clock = new FakeClock();
  ids = new ProducerIds(sql, clock, EXPIRATION_MS);
});

const value = <T>(r: { ok: true; value: T } | { ok: false; err: { error: string } }): T => {
  if (!r.ok) throw new Error(r.err.error);
  return r.value;
};
const rows = () => sql.exec<{ n: number }>("SELECT count(*) AS n FROM producers")[0]!.n;

describe("ProducerIds", () => {
  it("plain inits get consecutive fresh ids from FIRST_PRODUCER_ID at epoch 0", () => {
    expect([ids.init({}), ids.init({}), ids.init({})].map(value)).toEqual([
      { producerId: FIRST_PRODUCER_ID, producerEpoch: 0 },
      { producerId: FIRST_PRODUCER_ID + 1, producerEpoch: 0 },
      { producerId: FIRST_PRODUCER_ID + 2, producerEpoch: 0 },
    ]);
  });

  it("a transactional id keeps its producer id and each init bumps the epoch", () => {
    const a = value(ids.init({ transactionalId: "t" }));
    value(ids.init({}));
    expect(value(ids.init({ transactionalId: "t" }))).toEqual({ producerId: a.producerId, producerEpoch: 1 });
    expect(value(ids.init({ transactionalId: "t" }))).toEqual({ producerId: a.producerId, producerEpoch: 2 });
  });

  it("a KIP-360 bump needs the current epoch (a retry of the last bump gets the same answer); with a transactional id they must match", () => {
    const p = value(ids.init({}));
    expect(value(ids.init({ producerId: p.producerId, producerEpoch: 0 }))).toEqual({ producerId: p.producerId, producerEpoch: 1 });
    // The answer was lost and the producer asks again: same answer, no second bump.
    expect(value(ids.init({ producerId: p.producerId, producerEpoch: 0 }))).toEqual({ producerId: p.producerId, producerEpoch: 1 });
    expect(value(ids.init({ producerId: p.producerId, producerEpoch: 1 }))).toEqual({ producerId: p.producerId, producerEpoch: 2 });
    expect(ids.init({ producerId: p.producerId, producerEpoch: 0 })).toMatchObject({ ok: false, err: { error: "INVALID_PRODUCER_EPOCH" } });
    expect(ids.init({ producerId: p.producerId + 100, producerEpoch: 0 })).toMatchObject({ ok: false, err: { error: "UNKNOWN_PRODUCER_ID" } });
    const t = value(ids.init({ transactionalId: "t" }));
    expect(ids.init({ transactionalId: "other", producerId: t.producerId, producerEpoch: 0 })).toMatchObject({ ok: false, err: { error: "INVALID_PRODUCER_EPOCH" } });
    expect(value(ids.init({ transactionalId: "t", producerId: t.producerId, producerEpoch: 0 }))).toEqual({ producerId: t.producerId, producerEpoch: 1 });
  });

  it("a zombie fenced by a transactional re-init cannot bump itself back in with its old epoch", () => {
    const zombie = value(ids.init({ transactionalId: "t" }));
    value(ids.init({ producerId: zombie.producerId, producerEpoch: 0 })); // epoch 1, previous 0
    const fresh = value(ids.init({ transactionalId: "t" })); // epoch 2 fences epoch 1
    expect(ids.init({ producerId: zombie.producerId, producerEpoch: 1 })).toMatchObject({ ok: false, err: { error: "INVALID_PRODUCER_EPOCH" } });
    expect(ids.init({ producerId: zombie.producerId, producerEpoch: 0 })).toMatchObject({ ok: false, err: { error: "INVALID_PRODUCER_EPOCH" } });
    expect(fresh.producerEpoch).toBe(2);
  });

  it("an exhausted epoch (32767) moves the producer to a fresh id at epoch 0, keeping its transactional id", () => {
    const t = value(ids.init({ transactionalId: "t" }));
    sql.exec("UPDATE producers SET producer_epoch = ? WHERE producer_id = ?", MAX_PRODUCER_EPOCH, t.producerId);
    const next = value(ids.init({ transactionalId: "t" }));
    expect(next.producerEpoch).toBe(0);
    expect(next.producerId).toBeGreaterThan(t.producerId);
    expect(value(ids.init({ transactionalId: "t" }))).toEqual({ producerId: next.producerId, producerEpoch: 1 });
  });

  it("expired producers are forgotten (their bump is UNKNOWN_PRODUCER_ID, a transactional id starts over) and ids are never reused", () => {
    const t = value(ids.init({ transactionalId: "t" }));
    const p = value(ids.init({}));
    clock.advance(EXPIRATION_MS);
    const again = value(ids.init({ transactionalId: "t" }));
    expect(again.producerEpoch).toBe(0);
    expect(again.producerId).toBeGreaterThan(p.producerId);
    expect(ids.init({ producerId: p.producerId, producerEpoch: 0 })).toMatchObject({ ok: false, err: { error: "UNKNOWN_PRODUCER_ID" } });
    expect(t.producerId).not.toBe(again.producerId);
  });

  it("expiry deletes at most 100 rows per call, so storage shrinks over calls without a slow one", () => {
    for (let i = 0; i < 250; i++) value(ids.init({}));
    clock.advance(EXPIRATION_MS + 1);
    value(ids.init({}));
    expect(rows()).toBe(251 - 100);
    value(ids.init({}));
    value(ids.init({}));
    expect(rows()).toBe(3);
  });

  it("bad requests are INVALID_REQUEST and change nothing", () => {
    for (const req of [{ producerId: 1 }, { producerEpoch: 0 }, { transactionalId: "" }, { transactionalId: "x".repeat(250) }, { producerId: -1, producerEpoch: 0 }, { producerId: 1, producerEpoch: MAX_PRODUCER_EPOCH + 1 }])
      expect(ids.init(req)).toMatchObject({ ok: false, err: { error: "INVALID_REQUEST" } });
    expect(rows()).toBe(0);
    expect(value(ids.init({})).producerId).toBe(FIRST_PRODUCER_ID);
  });
});
