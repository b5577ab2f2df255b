-- Per-tenant CORS: the browser origins allowed for the tenant's answers (JSON array, [] = none).
ALTER TABLE tenants ADD COLUMN cors_origins TEXT NOT NULL DEFAULT '[]';
