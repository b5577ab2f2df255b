/**
 * An in-memory fake of the consumer-group endpoints (/tmp contract of issue 6, docs/api.md) for
 * client tests: a `fetch` function serving one group over a few topics and partitions.
 *
 * The group's rules are the server's own: every call goes to `GroupCoordinator`
 * (`src/groups/group-coordinator.ts`, over the pure engine of `membership.ts` and `offsets.ts`),
 * as the GroupCoordinatorDO does, so revocations, epochs, 25/82/110/22 answers, client-chosen
 * member ids (a join naming a current member answers it again, KIP-1082), read positions and
 * the poll `cursor` (an answer's reads count only when the next poll brings its cursor back, or
 * no cursor) are the real ones. Written here, as `src/services/groups.ts` does it: the records,
 * reading a poll's plan (an earliest/latest read pins where it resolved even when empty) and
 * answering only the records of partitions the coordinator advanced. `wait_ms` is accepted and
 * ignored (the fake answers at once).
 *
 * Time is `Date.now()` unless a clock is given, so vitest's fake timers drive session expiry.
 * Faults, decided per call by `faultFor`: `drop` applies the call and loses its answer (the
 * fetch rejects, as a connection cut after the server processed it); `fail` answers an error
 * without applying; `reply` answers the given status and body without applying.
 * Every call is logged in `calls` (kind, member, body, status, time) for assertions.
 */
import type { FetchFn } from "../../src/client/flarelog-client.ts";
import { assignmentBody, groupDescriptionBody, joinRequestOf } from "../../src/api/group-wire.ts";
import { emptyExtras, GroupCoordinator, type PartitionAdvance } from "../../src/groups/group-coordinator.ts";
import { emptyGroupState, type GroupConfig } from "../../src/groups/group-state.ts";
import type { ConsumerGroup } from "../../src/groups/membership.ts";
import { applyOffsetReset, fetchOffsets, planOffsetReset, type OffsetResetSpec } from "../../src/groups/offsets.ts";
import { parseTopicPartitionList, toTopicPartitionList, tpKey } from "../../src/protocol/topic-partitions.ts";
import { ERRORS, errorBody, kafkaError, type ErrorName, type KafkaError, type Result } from "../../src/protocol/errors.ts";
import type { Clock } from "../../src/protocol/types.ts";

export type GroupCallKind = "join" | "heartbeat" | "leave" | "poll" | "commit" | "fetchOffsets" | "reset" | "list" | "describe" | "delete";

export interface GroupCall {
  n: number;
  kind: GroupCallKind;
  memberId?: string;
  body?: any;
  query?: Record<string, string>;
  /** The status answered (or that would have been, for a dropped answer). */
  status: number;
  answer?: any;
  dropped: boolean;
  at: number;
}

export type GroupFault = { kind: "pass" } | { kind: "drop" } | { kind: "fail"; error: ErrorName } | { kind: "reply"; status: number; body: unknown };

interface Answer {
  status: number;
  body: unknown;
}

export interface StoredGroupRecord {
  offset: number;
  timestamp: number;
  key: string | null;
  value: string | null;
  headers: Record<string, string | null>;
}

export class FakeGroupServer {
  readonly groupId: string;
  readonly coordinator: GroupCoordinator;
  readonly group: ConsumerGroup;
  readonly calls: GroupCall[] = [];
  /** Decides each call's fault; default: every call passes. */
  faultFor: (call: { n: number; kind: GroupCallKind; memberId?: string }) => GroupFault = () => ({ kind: "pass" });
  readonly #logs = new Map<string, StoredGroupRecord[]>();
  readonly #clock: Clock;
  #nextMember = 1;
  #exists = false;

  constructor(opts: { topics: Record<string, number>; groupId?: string; config?: Partial<GroupConfig>; clock?: Clock }) {
    this.groupId = opts.groupId ?? "g";
    this.#clock = opts.clock ?? { now: () => Date.now() };
    this.coordinator = new GroupCoordinator(
      { state: emptyGroupState(this.groupId, "sticky", opts.topics), extras: emptyExtras() },
      { clock: this.#clock, newMemberId: () => `m-${this.#nextMember++}`, config: opts.config ?? {} },
    );
    this.group = this.coordinator.group;
    for (const [topic, n] of Object.entries(opts.topics)) for (let p = 0; p < n; p++) this.#logs.set(tpKey(topic, p), []);
  }

  readonly fetch: FetchFn = (input, init) => this.#serve(input, init);

  /** Appends records with values `values` to a partition; returns their offsets. */
  append(topic: string, partition: number, values: string[]): number[] {
    const log = this.#log(topic, partition);
    return values.map((value) => {
      log.push({ offset: log.length, timestamp: this.#clock.now(), key: null, value, headers: {} });
      return log.length - 1;
    });
  }

  /** The member's session ends now, as if it stopped heartbeating (the engine removes it). */
  expire(memberId: string): void {
    const m = this.group.state.members[memberId];
    if (!m) throw new Error(`no member ${memberId}`);
    m.sessionDeadlineMs = this.#clock.now();
    this.coordinator.expire();
  }

  committed(topic: string, partition: number): number | undefined {
    return this.group.state.offsets[topic]?.[String(partition)]?.offset;
  }

  memberIds(): string[] {
    return Object.keys(this.group.state.members).sort();
  }

  callsOf(kind: GroupCallKind): GroupCall[] {
    return this.calls.filter((c) => c.kind === kind);
  }

  #log(topic: string, partition: number): StoredGroupRecord[] {
    const log = this.#logs.get(tpKey(topic, partition));
    if (!log) throw new Error(`no partition ${topic}-${partition}`);
    return log;
  }

  async #serve(input: string, init: RequestInit = {}): Promise<Response> {
    const url = new URL(input);
    const method = (init.method ?? "GET").toUpperCase();
    const body = typeof init.body === "string" && init.body ? (JSON.parse(init.body) as any) : undefined;
    const query = Object.fromEntries(url.searchParams.entries());
    const parts = url.pathname.split("/").filter(Boolean).map(decodeURIComponent); // v1 groups {g} ...
    const route = this.#route(method, parts);
    if (!route) return json(404, { error: "not found" });
    if (route.group !== undefined && route.group !== this.groupId && route.kind !== "describe" && route.kind !== "delete")
      return json(400, { error: `the fake serves only group ${this.groupId}` });
    const n = this.calls.length;
    const fault = this.faultFor({ n, kind: route.kind, ...(route.memberId ? { memberId: route.memberId } : {}) });
    const call: GroupCall = { n, kind: route.kind, status: 0, dropped: false, at: this.#clock.now(), query, ...(route.memberId ? { memberId: route.memberId } : {}) };
    if (body !== undefined) call.body = body;
    this.calls.push(call);
    if (fault.kind === "fail") {
      const err = errorBody(kafkaError(fault.error, `injected ${fault.error}`));
      call.status = ERRORS[fault.error].status;
      return json(call.status, err);
    }
    if (fault.kind === "reply") {
      call.status = fault.status;
      return json(fault.status, fault.body);
    }
    const answer = this.#apply(route.kind, route.group, route.memberId, body, query);
    call.status = answer.status;
    call.answer = answer.body;
    if (fault.kind === "drop") {
      call.dropped = true;
      throw new TypeError("fake: the answer was dropped after the server processed the request");
    }
    return json(answer.status, answer.body);
  }

  #route(method: string, p: string[]): { kind: GroupCallKind; group?: string; memberId?: string } | undefined {
    if (p[0] !== "v1" || p[1] !== "groups") return undefined;
    const group = p[2];
    if (p.length === 2 && method === "GET") return { kind: "list" };
    if (group === undefined) return undefined;
    if (p.length === 3) return method === "GET" ? { kind: "describe", group } : method === "DELETE" ? { kind: "delete", group } : undefined;
    if (p[3] === "members") {
      if (p.length === 4 && method === "POST") return { kind: "join", group };
      const memberId = p[4]!;
      if (p.length === 5 && method === "DELETE") return { kind: "leave", group, memberId };
      if (p[5] === "heartbeat" && method === "POST") return { kind: "heartbeat", group, memberId };
      if (p[5] === "records" && method === "GET") return { kind: "poll", group, memberId };
      return undefined;
    }
    if (p[3] === "offsets") {
      if (p.length === 4) return method === "GET" ? { kind: "fetchOffsets", group } : method === "POST" ? { kind: "commit", group } : undefined;
      if (p[4] === "reset" && method === "POST") return { kind: "reset", group };
    }
    return undefined;
  }

  #apply(kind: GroupCallKind, group: string | undefined, memberId: string | undefined, body: any, query: Record<string, string>): Answer {
    const now = this.#clock.now();
    switch (kind) {
      case "join": {
        const r = this.coordinator.join(joinRequestOf(body));
        if (!r.ok) return error(r.err);
        this.#exists = true;
        return { status: 200, body: assignmentBody(r.value) };
      }
      case "heartbeat": {
        let owned;
        if (body.owned_partitions !== undefined) {
          const parsed = parseTopicPartitionList(body.owned_partitions);
          if (!parsed.ok) return error(parsed.err);
          owned = parsed.value;
        }
        const r = this.coordinator.heartbeat({ memberId: memberId!, memberEpoch: body.member_epoch, ...(owned === undefined ? {} : { ownedPartitions: owned }) });
        return r.ok ? { status: 200, body: assignmentBody(r.value) } : error(r.err);
      }
      case "leave": {
        const r = this.coordinator.leave(memberId!);
        return r.ok ? { status: 204, body: null } : error(r.err);
      }
      case "poll":
        return this.#poll(memberId!, query);
      case "commit": {
        const r = this.coordinator.commit({ memberId: body.member_id, memberEpoch: body.member_epoch, offsets: body.offsets });
        return r.ok ? { status: 204, body: null } : error(r.err);
      }
      case "fetchOffsets":
        return { status: 200, body: { offsets: fetchOffsets(this.group.state, (t, p) => this.#logs.get(tpKey(t, p))?.length).map(({ metadata: _, ...o }) => o) } };
      case "reset":
        return this.#reset(body, now);
      case "list":
        this.coordinator.expire();
        return {
          status: 200,
          body: { groups: this.#exists ? [{ group: this.groupId, state: this.group.groupStateName(), members: Object.keys(this.group.state.members).length }] : [] },
        };
      case "describe": {
        if (group !== this.groupId || !this.#exists) return error(kafkaError("GROUP_ID_NOT_FOUND", `group ${group} does not exist`));
        this.coordinator.expire();
        const d = this.group.describe();
        return {
          status: 200,
          body: {
            ...groupDescriptionBody(d),
            offsets: fetchOffsets(this.group.state, (t, p) => this.#logs.get(tpKey(t, p))?.length).map(({ metadata: _, ...o }) => o),
          },
        };
      }
      case "delete": {
        if (group !== this.groupId || !this.#exists) return error(kafkaError("GROUP_ID_NOT_FOUND", `group ${group} does not exist`));
        this.coordinator.expire();
        if (Object.keys(this.group.state.members).length > 0) return error(kafkaError("NON_EMPTY_GROUP", `group ${group} has members`));
        this.#exists = false;
        this.group.state.offsets = {};
        return { status: 204, body: null };
      }
    }
  }

  /** As the route: the coordinator's plan, the reads, `advance`, and the records of the partitions it moved. */
  #poll(memberId: string, query: Record<string, string>): Answer {
    const memberEpoch = query.member_epoch === undefined ? null : Number(query.member_epoch);
    const cursor = query.cursor === undefined ? null : Number(query.cursor);
    const plan = this.coordinator.pollPlan(memberId, memberEpoch, query.auto_commit === "true", cursor);
    if (!plan.ok) return error(plan.err);
    let budget = Number(query.max_records ?? 500);
    const advances: PartitionAdvance[] = [];
    const taken = new Map<string, StoredGroupRecord[]>();
    for (const read of plan.value.reads) {
      const log = this.#log(read.topic, read.partition);
      const from = read.from === "earliest" ? 0 : read.from === "latest" ? log.length : read.from;
      const records = log.slice(from, from + Math.max(0, budget));
      budget -= records.length;
      // An earliest/latest read pins the position where it resolved, even if nothing was taken.
      if (records.length === 0 && typeof read.from === "number") continue;
      advances.push({ ...read, next: records.length > 0 ? records.at(-1)!.offset + 1 : from });
      taken.set(tpKey(read.topic, read.partition), records);
    }
    const advanced = this.coordinator.advance(memberId, advances);
    if (!advanced.ok) return error(advanced.err);
    const records = advanced.value.moved.flatMap(({ topic, partition }) => (taken.get(tpKey(topic, partition)) ?? []).map((r) => ({ topic, partition, ...r })));
    return {
      status: 200,
      body: { records, member_epoch: plan.value.memberEpoch, assignment: toTopicPartitionList(plan.value.assignment), cursor: advanced.value.cursor },
    };
  }

  #reset(body: any, now: number): Answer {
    const topics: string[] = body.topics;
    const to = body.to;
    const spec: OffsetResetSpec | undefined =
      to === "earliest"
        ? { type: "earliest" }
        : to === "latest"
          ? { type: "latest" }
          : typeof to?.offset === "number"
            ? { type: "offset", offset: to.offset }
            : typeof to?.shift_by === "number"
              ? { type: "shift", by: to.shift_by }
              : typeof to?.timestamp === "number"
                ? { type: "timestamp", timestamp: to.timestamp }
                : undefined;
    if (!spec) return error(kafkaError("INVALID_REQUEST", "bad to"));
    const partitions = topics.flatMap((topic) =>
      [...this.#logs.keys()]
        .filter((k) => k.startsWith(`${topic}\u0000`))
        .map((k) => Number(k.split("\u0000")[1]))
        .filter((p) => body.partitions === undefined || body.partitions.includes(p))
        .map((partition) => {
          const log = this.#log(topic, partition);
          const ts = spec.type === "timestamp" ? (log.find((r) => r.timestamp >= spec.timestamp)?.offset ?? null) : undefined;
          return { topic, partition, logStartOffset: 0, highWatermark: log.length, ...(ts !== undefined ? { offsetForTimestamp: ts } : {}) };
        }),
    );
    const plan = planOffsetReset(this.group, spec, partitions);
    if (!plan.ok) return error(plan.err);
    if (!body.dry_run) {
      const applied: Result<void> = applyOffsetReset(this.group, plan.value, now);
      if (!applied.ok) return error(applied.err);
      this.#exists = true;
    }
    return { status: 200, body: { offsets: plan.value.map(({ topic, partition, offset }) => ({ topic, partition, offset })) } };
  }
}


function error(err: KafkaError): Answer {
  return { status: ERRORS[err.error].status, body: errorBody(err) };
}

function json(status: number, body: unknown): Response {
  return status === 204 || body === null ? new Response(null, { status }) : Response.json(body, { status });
}
