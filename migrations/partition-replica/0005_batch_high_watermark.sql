-- The HW as of the commit that appended a batch (NULL: not recorded, e.g. a rewritten batch).
-- An append that changes nothing but the LEO and the HW writes only its batch rows: the state
-- row is not rewritten, and on load the LEO is the last batch's end and the HW the last batch's
-- high_watermark when they are ahead of the state row (src/storage/sqlite-log-store.ts).
ALTER TABLE batches ADD COLUMN high_watermark INTEGER;
