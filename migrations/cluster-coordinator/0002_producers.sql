-- Idempotent producer ids (src/coordinator/producer-ids.ts): Kafka's ProducerIdManager and the
-- transactional id → producer id mapping, one set per tenant.

-- The next producer id to hand out: only ever grows, so an id is never reused.
CREATE TABLE IF NOT EXISTS producer_id_counter (
  id               INTEGER PRIMARY KEY CHECK (id = 1),
  next_producer_id INTEGER NOT NULL
);

-- Each live producer id's current epoch; transactional_id is NULL for a plain idempotent
-- producer. previous_epoch is the epoch a KIP-360 bump came from (-1 otherwise), so a retried
-- bump whose answer was lost gets the same answer (Kafka's lastProducerEpoch).
-- A row not re-initialised for transactional.id.expiration.ms is deleted.
CREATE TABLE IF NOT EXISTS producers (
  producer_id      INTEGER PRIMARY KEY,
  producer_epoch   INTEGER NOT NULL,
  previous_epoch   INTEGER NOT NULL DEFAULT -1,
  transactional_id TEXT UNIQUE,
  updated_at       INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS producers_by_update ON producers (updated_at);
