/**
 * The Kafka wire codec (issue 19), group 3: FindCoordinator, JoinGroup, SyncGroup, Heartbeat,
 * LeaveGroup, OffsetCommit and OffsetFetch at every supported version, against kafkajs 2.2.4's
 * own request encoders and response decoders.
 */
import { describe, expect, it } from "vitest";
import {
  ApiKey,
  decodeRequest,
  encodeResponse,
  type HeaderOf,
  type KnownApiKey,
} from "../../src/codec/kafka/index.ts";
import { kafkajsDecodeResponse, kafkajsRequest, kafkajsResponse } from "../support/kafkajs-oracle.ts";
import { versions, bodyOf } from "../support/kafka-codec.ts";

const header = <K extends KnownApiKey>(apiKey: K, apiVersion: number): HeaderOf<K> => ({ apiKey, apiVersion, correlationId: 3, clientId: null });
const te = new TextEncoder();
type Obj = Record<string, unknown>;

describe("FindCoordinator", () => {
  it.each(versions(ApiKey.FindCoordinator))("v%i: a group's coordinator is asked and answered", async (v) => {
    const body = bodyOf(ApiKey.FindCoordinator, decodeRequest(await kafkajsRequest("findCoordinator", v, { groupId: "g1", coordinatorKey: "g1", coordinatorType: 0 })));
    expect(body).toEqual({ key: "g1", keyType: 0 });
    const bytes = encodeResponse(header(ApiKey.FindCoordinator, v), { errorCode: 0, errorMessage: null, nodeId: 0, host: "broker", port: 9092 });
    expect(await kafkajsResponse("findCoordinator", v, bytes)).toMatchObject({ errorCode: 0, coordinator: { nodeId: 0, host: "broker", port: 9092 } });
    const failed = encodeResponse(header(ApiKey.FindCoordinator, v), { errorCode: 15, nodeId: -1, host: "", port: -1 });
    await expect(kafkajsResponse("findCoordinator", v, failed)).rejects.toMatchObject({ type: "GROUP_COORDINATOR_NOT_AVAILABLE" });
  });
  it("v1+: a transactional coordinator key type is kept", async () => {
    const body = bodyOf(ApiKey.FindCoordinator, decodeRequest(await kafkajsRequest("findCoordinator", 1, { coordinatorKey: "tx", coordinatorType: 1 })));
    expect(body).toEqual({ key: "tx", keyType: 1 });
  });
});

describe("JoinGroup and SyncGroup", () => {
  const meta = Buffer.from([0, 1, 0, 0, 0, 1, 0, 6, 111, 114, 100, 101, 114, 115, 0, 0, 0, 0]);
  it.each(versions(ApiKey.JoinGroup))("JoinGroup v%i: the member's protocols decode; kafkajs reads the members", async (v) => {
    const args = {
      groupId: "g1",
      sessionTimeout: 30000,
      rebalanceTimeout: 60000,
      memberId: "m-1",
      groupInstanceId: "inst",
      protocolType: "consumer",
      groupProtocols: [{ name: "RoundRobinAssigner", metadata: meta }],
    };
    const body = bodyOf(ApiKey.JoinGroup, decodeRequest(await kafkajsRequest("joinGroup", v, args)));
    expect(body).toMatchObject({
      groupId: "g1",
      sessionTimeoutMs: 30000,
      rebalanceTimeoutMs: v >= 1 ? 60000 : -1,
      memberId: "m-1",
      groupInstanceId: v >= 5 ? "inst" : null,
      protocolType: "consumer",
    });
    expect(body.protocols.map((p) => [p.name, Buffer.from(p.metadata)])).toEqual([["RoundRobinAssigner", meta]]);
    const answer = { errorCode: 0, generationId: 4, protocolName: "RoundRobinAssigner", leader: "m-1", memberId: "m-1", members: [{ memberId: "m-1", groupInstanceId: "inst", metadata: new Uint8Array(meta) }] };
    const parsed = (await kafkajsResponse("joinGroup", v, encodeResponse(header(ApiKey.JoinGroup, v), answer))) as Obj & { members: Obj[] };
    expect(parsed).toMatchObject({ errorCode: 0, generationId: 4, groupProtocol: "RoundRobinAssigner", leaderId: "m-1", memberId: "m-1" });
    expect(parsed.members).toEqual([{ memberId: "m-1", ...(v >= 5 ? { groupInstanceId: "inst" } : {}), memberMetadata: meta }]);
  });
  it("JoinGroup v4+: MEMBER_ID_REQUIRED (79) carries the assigned member id to kafkajs", async () => {
    const answer = { errorCode: 79, generationId: -1, protocolName: "", leader: "", memberId: "m-new", members: [] };
    await expect(kafkajsResponse("joinGroup", 5, encodeResponse(header(ApiKey.JoinGroup, 5), answer))).rejects.toMatchObject({ type: "MEMBER_ID_REQUIRED", memberId: "m-new" });
  });
  it.each(versions(ApiKey.SyncGroup))("SyncGroup v%i: the leader's assignments decode; kafkajs reads its own", async (v) => {
    const args = { groupId: "g1", generationId: 4, memberId: "m-1", groupInstanceId: "inst", groupAssignment: [{ memberId: "m-1", memberAssignment: Buffer.from([1, 2, 3]) }] };
    const body = bodyOf(ApiKey.SyncGroup, decodeRequest(await kafkajsRequest("syncGroup", v, args)));
    expect(body).toMatchObject({ groupId: "g1", generationId: 4, memberId: "m-1", groupInstanceId: v >= 3 ? "inst" : null });
    expect(body.assignments.map((a) => [a.memberId, [...a.assignment]])).toEqual([["m-1", [1, 2, 3]]]);
    const parsed = await kafkajsResponse("syncGroup", v, encodeResponse(header(ApiKey.SyncGroup, v), { errorCode: 0, assignment: new Uint8Array([9, 8]) }));
    expect(parsed).toMatchObject({ errorCode: 0, memberAssignment: Buffer.from([9, 8]) });
    const failed = encodeResponse(header(ApiKey.SyncGroup, v), { errorCode: 27, assignment: new Uint8Array() });
    await expect(kafkajsResponse("syncGroup", v, failed)).rejects.toMatchObject({ type: "REBALANCE_IN_PROGRESS" });
  });
});

describe("Heartbeat and LeaveGroup", () => {
  it.each(versions(ApiKey.Heartbeat))("Heartbeat v%i: member and generation in; an error out is kafkajs's", async (v) => {
    const args = { groupId: "g1", groupGenerationId: 4, memberId: "m-1", groupInstanceId: "inst" };
    const body = bodyOf(ApiKey.Heartbeat, decodeRequest(await kafkajsRequest("heartbeat", v, args)));
    expect(body).toEqual({ groupId: "g1", generationId: 4, memberId: "m-1", groupInstanceId: v >= 3 ? "inst" : null });
    expect(await kafkajsResponse("heartbeat", v, encodeResponse(header(ApiKey.Heartbeat, v), { errorCode: 0 }))).toMatchObject({ errorCode: 0 });
    await expect(kafkajsResponse("heartbeat", v, encodeResponse(header(ApiKey.Heartbeat, v), { errorCode: 22 }))).rejects.toMatchObject({ type: "ILLEGAL_GENERATION" });
  });
  it.each(versions(ApiKey.LeaveGroup))("LeaveGroup v%i: the leaving members decode; kafkajs reads the answer", async (v) => {
    const args = v >= 3 ? { groupId: "g1", members: [{ memberId: "m-1", groupInstanceId: "inst" }] } : { groupId: "g1", memberId: "m-1" };
    const body = bodyOf(ApiKey.LeaveGroup, decodeRequest(await kafkajsRequest("leaveGroup", v, args)));
    expect(body).toEqual({ groupId: "g1", memberId: v >= 3 ? "" : "m-1", members: [{ memberId: "m-1", groupInstanceId: v >= 3 ? "inst" : null }] });
    const answer = { errorCode: 0, members: [{ memberId: "m-1", groupInstanceId: "inst", errorCode: 0 }] };
    const parsed = (await kafkajsDecodeResponse("leaveGroup", v, encodeResponse(header(ApiKey.LeaveGroup, v), answer))) as Obj;
    expect(parsed).toMatchObject({ errorCode: 0, ...(v >= 3 ? { members: [{ memberId: "m-1", groupInstanceId: "inst", errorCode: 0 }] } : {}) });
  });
});

describe("OffsetCommit and OffsetFetch", () => {
  it.each(versions(ApiKey.OffsetCommit))("OffsetCommit v%i: offsets and metadata decode; kafkajs reads per-partition errors", async (v) => {
    const args = { groupId: "g1", groupGenerationId: 4, memberId: "m-1", retentionTime: 86400000, topics: [{ topic: "orders", partitions: [{ partition: 0, offset: "17", metadata: "m" }, { partition: 1, offset: "0" }] }] };
    const body = bodyOf(ApiKey.OffsetCommit, decodeRequest(await kafkajsRequest("offsetCommit", v, args)));
    expect(body).toEqual({
      groupId: "g1",
      generationId: 4,
      memberId: "m-1",
      retentionTimeMs: v <= 4 ? 86400000 : -1,
      topics: [{ name: "orders", partitions: [{ partitionIndex: 0, committedOffset: 17, committedMetadata: "m" }, { partitionIndex: 1, committedOffset: 0, committedMetadata: null }] }],
    });
    const answer = { topics: [{ name: "orders", partitions: [{ partitionIndex: 0, errorCode: 0 }, { partitionIndex: 1, errorCode: 0 }] }] };
    const parsed = (await kafkajsResponse("offsetCommit", v, encodeResponse(header(ApiKey.OffsetCommit, v), answer))) as { responses: unknown[] };
    expect(parsed.responses).toEqual([{ topic: "orders", partitions: [{ partition: 0, errorCode: 0 }, { partition: 1, errorCode: 0 }] }]);
    const failed = { topics: [{ name: "orders", partitions: [{ partitionIndex: 0, errorCode: 25 }] }] };
    await expect(kafkajsResponse("offsetCommit", v, encodeResponse(header(ApiKey.OffsetCommit, v), failed))).rejects.toMatchObject({ type: "UNKNOWN_MEMBER_ID" });
  });
  it.each(versions(ApiKey.OffsetFetch))("OffsetFetch v%i: named partitions (and all, v2+) decode; kafkajs reads committed offsets", async (v) => {
    const args = { groupId: "g1", topics: [{ topic: "orders", partitions: [{ partition: 0 }, { partition: 1 }] }] };
    const body = bodyOf(ApiKey.OffsetFetch, decodeRequest(await kafkajsRequest("offsetFetch", v, args)));
    expect(body).toEqual({ groupId: "g1", topics: [{ name: "orders", partitionIndexes: [0, 1] }] });
    if (v >= 3) {
      const all = bodyOf(ApiKey.OffsetFetch, decodeRequest(await kafkajsRequest("offsetFetch", v, { groupId: "g1", topics: [] })));
      expect(all).toEqual({ groupId: "g1", topics: null });
    }
    const answer = { topics: [{ name: "orders", partitions: [{ partitionIndex: 0, committedOffset: 17, metadata: "m", errorCode: 0 }, { partitionIndex: 1, committedOffset: -1, metadata: null, errorCode: 0 }] }], errorCode: 0 };
    const parsed = (await kafkajsResponse("offsetFetch", v, encodeResponse(header(ApiKey.OffsetFetch, v), answer))) as { responses: unknown[] };
    expect(parsed.responses).toEqual([{ topic: "orders", partitions: [{ partition: 0, offset: "17", metadata: "m", errorCode: 0 }, { partition: 1, offset: "-1", metadata: null, errorCode: 0 }] }]);
    if (v >= 2) {
      const failed = encodeResponse(header(ApiKey.OffsetFetch, v), { topics: [], errorCode: 16 });
      await expect(kafkajsResponse("offsetFetch", v, failed)).rejects.toMatchObject({ type: "NOT_COORDINATOR_FOR_GROUP" });
    }
  });
});

describe("opaque member bytes", () => {
  it("metadata and assignments are kept byte for byte (a view into the frame, not text)", async () => {
    const raw = te.encode("\u0000\u00ff binary");
    const body = bodyOf(ApiKey.SyncGroup, decodeRequest(await kafkajsRequest("syncGroup", 0, { groupId: "g", generationId: 1, memberId: "m", groupAssignment: [{ memberId: "m", memberAssignment: Buffer.from(raw) }] })));
    expect(body.assignments[0]!.assignment).toEqual(raw);
  });
});
