/**
 * FlarelogClient's plain consumer-group calls: each sends the contract's method, path, query and
 * body, and returns the answer as an ApiResult (errors as values with the contract's codes).
 * Checked against the in-memory group fake; no timers are involved. The last two tests replay
 * workers/groups.test.ts's cursor and member-id scenarios on the fake: it answers as the Worker.
 */
import { describe, expect, it } from "vitest";
import { FlarelogClient, type FetchFn } from "../../src/client/flarelog-client.ts";
import { FakeGroupServer } from "../support/fake-group-server.ts";

function setup() {
  const server = new FakeGroupServer({ topics: { t: 2 } });
  const sent: { method: string; url: string; body: unknown }[] = [];
  const fetch: FetchFn = (input, init) => {
    sent.push({ method: init?.method ?? "GET", url: input, body: typeof init?.body === "string" ? JSON.parse(init.body) : undefined });
    return server.fetch(input, init);
  };
  return { server, sent, client: new FlarelogClient({ baseUrl: "http://fake/", token: "x", fetch }) };
}

describe("group calls of FlarelogClient", () => {
  it("join, heartbeat, poll, commit, fetch offsets and leave use the contract's paths and shapes", async () => {
    const { server, sent, client } = setup();
    server.append("t", 1, ["x", "y"]);
    const joined = await client.joinGroup("g", { topics: ["t"], session_timeout_ms: 9000, auto_offset_reset: "earliest" });
    expect(joined).toMatchObject({ ok: true, status: 200, body: { member_id: "m-1", heartbeat_interval_ms: 3000 } });
    if (!joined.ok) throw new Error("join failed");
    const { member_id: id, member_epoch: epoch } = joined.body;
    expect(joined.body.assignment).toEqual([{ topic: "t", partitions: [0, 1] }]);

    const beat = await client.heartbeat("g", id, { member_epoch: epoch, owned_partitions: joined.body.assignment });
    expect(beat).toMatchObject({ ok: true, body: { member_id: id, member_epoch: epoch } });

    const polled = await client.pollGroup("g", id, { max_records: 10, wait_ms: 0, auto_commit: false });
    expect(polled.ok && polled.body.records.map((r) => [r.topic, r.partition, r.offset, r.value])).toEqual([
      ["t", 1, 0, "x"],
      ["t", 1, 1, "y"],
    ]);
    expect(sent.at(-1)!.url).toBe(`http://fake/v1/groups/g/members/${id}/records?max_records=10&wait_ms=0&auto_commit=false`);

    expect(await client.commitOffsets("g", { member_id: id, member_epoch: epoch, offsets: [{ topic: "t", partition: 1, offset: 2 }] })).toEqual({
      ok: true,
      status: 204,
      body: null,
    });
    const stale = await client.commitOffsets("g", { member_id: id, member_epoch: epoch + 7, offsets: [{ topic: "t", partition: 1, offset: 2 }] });
    expect(stale).toMatchObject({ ok: false, status: 409, error: { error_code: 22, error: "ILLEGAL_GENERATION" } });
    expect(await client.fetchOffsets("g")).toMatchObject({ ok: true, body: { offsets: [{ topic: "t", partition: 1, offset: 2, lag: 0 }] } });

    expect(await client.leaveGroup("g", id)).toEqual({ ok: true, status: 204, body: null });
    expect(await client.heartbeat("g", id, { member_epoch: epoch })).toMatchObject({ ok: false, status: 409, error: { error_code: 25 } });
    expect(sent.map((s) => `${s.method} ${new URL(s.url).pathname}`)).toEqual([
      "POST /v1/groups/g/members",
      `POST /v1/groups/g/members/${id}/heartbeat`,
      `GET /v1/groups/g/members/${id}/records`,
      "POST /v1/groups/g/offsets",
      "POST /v1/groups/g/offsets",
      "GET /v1/groups/g/offsets",
      `DELETE /v1/groups/g/members/${id}`,
      `POST /v1/groups/g/members/${id}/heartbeat`,
    ]);
  });

  it("reset offsets only while the group is empty (68), list, describe (69 when unknown) and delete (68 while non-empty)", async () => {
    const { server, client } = setup();
    server.append("t", 0, ["a", "b", "c"]);
    const joined = await client.joinGroup("g", { topics: ["t"] });
    if (!joined.ok) throw new Error("join failed");
    expect(await client.resetOffsets("g", { topics: ["t"], to: "earliest" })).toMatchObject({ ok: false, status: 409, error: { error_code: 68 } });
    expect(await client.deleteGroup("g")).toMatchObject({ ok: false, status: 409, error: { error_code: 68 } });
    expect(await client.listGroups()).toMatchObject({ ok: true, body: { groups: [{ group: "g", members: 1 }] } });
    const described = await client.describeGroup("g");
    expect(described).toMatchObject({ ok: true, body: { group: "g", assignor: "sticky", members: [{ member_id: "m-1", group_instance_id: null, pending_revocation: [] }] } });
    expect(await client.describeGroup("nope")).toMatchObject({ ok: false, status: 404, error: { error_code: 69, error: "GROUP_ID_NOT_FOUND" } });

    await client.leaveGroup("g", joined.body.member_id);
    const dry = await client.resetOffsets("g", { topics: ["t"], partitions: [0], to: { offset: 99 }, dry_run: true });
    expect(dry).toEqual({ ok: true, status: 200, body: { offsets: [{ topic: "t", partition: 0, offset: 3 }] } }); // clamped to the high watermark
    expect(server.committed("t", 0)).toBeUndefined();
    await client.resetOffsets("g", { topics: ["t"], partitions: [0], to: { offset: 1 } });
    expect(server.committed("t", 0)).toBe(1);
    expect(await client.deleteGroup("g")).toEqual({ ok: true, status: 204, body: null });
  });

  it("poll cursor (the fake as the Worker): the same cursor again re-reads the records; the answer's cursor acknowledges them", async () => {
    const { server, client } = setup();
    server.append("t", 0, ["a", "b", "c", "d"]);
    const joined = await client.joinGroup("g", { topics: ["t"], auto_offset_reset: "earliest", assignor: "range" });
    if (!joined.ok) throw new Error("join failed");
    const id = joined.body.member_id;
    const offsets = async (cursor?: number) => {
      const r = await client.pollGroup("g", id, { max_records: 2, ...(cursor === undefined ? {} : { cursor }) });
      if (!r.ok) throw new Error(JSON.stringify(r.error));
      return { offsets: r.body.records.map((x) => x.offset), cursor: r.body.cursor };
    };
    const lost = await offsets(); // its answer "never arrived"
    expect(lost.offsets).toEqual([0, 1]);
    const again = await offsets(0);
    expect(again.offsets).toEqual([0, 1]);
    expect(again.cursor).toBeGreaterThan(lost.cursor);
    const next = await offsets(again.cursor);
    expect(next.offsets).toEqual([2, 3]);
    expect((await offsets(next.cursor)).offsets).toEqual([]);
    // Without a cursor the previous answer counts as received (clients that do not track cursors).
    server.append("t", 0, ["e"]);
    expect((await offsets()).offsets).toEqual([4]);
    expect((await offsets()).offsets).toEqual([]);
  });

  it("member_id in the join (the fake as the Worker): a retried join answers the same member; a bad id is 42", async () => {
    const { server, client } = setup();
    const first = await client.joinGroup("g", { topics: ["t"], member_id: "c-abc" });
    const retry = await client.joinGroup("g", { topics: ["t"], member_id: "c-abc" });
    expect(first).toMatchObject({ ok: true, body: { member_id: "c-abc" } });
    expect(retry).toMatchObject({ ok: true, body: { member_id: "c-abc", assignment: first.ok ? first.body.assignment : [] } });
    expect(server.memberIds()).toEqual(["c-abc"]);
    expect(await client.joinGroup("g", { topics: ["t"], member_id: "no spaces" })).toMatchObject({ ok: false, status: 400, error: { error_code: 42 } });
  });
});
