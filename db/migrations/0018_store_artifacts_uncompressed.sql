-- Model weights do not compress, but a tensor file starts with its JSON manifest, which does: pglz
-- then kept going through megabytes of floats before giving up (about 50 ms for a 4 MB model).
-- Stored out of line without trying, as round_partials.sums is. Applies to rows written from now on.
ALTER TABLE "artifacts" ALTER COLUMN "bytes" SET STORAGE EXTERNAL;
