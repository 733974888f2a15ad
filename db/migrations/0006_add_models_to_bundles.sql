-- Governance bundles now list the model specs sites approve (protocol/bundle.ts, `models`).
-- Bundles saved before have none: give them an empty list. Their hash is unchanged, because
-- hashBundle leaves an empty `models` list out of the hashed form.
UPDATE "project_revisions" SET "bundle" = "bundle" || '{"models": []}'::jsonb WHERE NOT ("bundle" ? 'models');
