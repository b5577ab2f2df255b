-- Idempotent producer state (src/log/producer-state.ts) is rebuilt from the batch rows: the last
-- few batches of each producer id. This partial index holds only idempotent batches, so the
-- rebuild is a loose scan over distinct producer ids plus a short descending range per producer,
-- and non-idempotent appends pay nothing for it.
CREATE INDEX IF NOT EXISTS batches_by_producer ON batches (producer_id, base_offset) WHERE producer_id >= 0;
