-- Durable Streams anonymous access: the stream-path prefix under which requests without
-- credentials may read and write the tenant's streams (NULL = off, the default).
ALTER TABLE tenants ADD COLUMN ds_anonymous_prefix TEXT;
