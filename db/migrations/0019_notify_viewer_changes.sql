-- Each portal process keeps the viewers of the browser sessions it serves (server/auth/viewer-cache.ts)
-- and must forget one as soon as anything it was read from changes, whichever process or tool
-- changed it. Every change to those rows notifies channel flip_viewer on commit: the user's id, or
-- '*' when a site's code or name changes (every grant on it shows them).
CREATE FUNCTION flip_notify_viewer_change() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  user_column text := TG_ARGV[0];
BEGIN
  IF TG_OP IN ('UPDATE', 'DELETE') THEN
    PERFORM pg_notify('flip_viewer', to_jsonb(OLD) ->> user_column);
  END IF;
  IF TG_OP IN ('INSERT', 'UPDATE') THEN
    PERFORM pg_notify('flip_viewer', to_jsonb(NEW) ->> user_column);
  END IF;
  RETURN NULL;
END;
$$;
--> statement-breakpoint
CREATE TRIGGER users_notify_viewer
  AFTER INSERT OR UPDATE OR DELETE ON users
  FOR EACH ROW EXECUTE FUNCTION flip_notify_viewer_change('id');
--> statement-breakpoint
CREATE TRIGGER user_sessions_notify_viewer
  AFTER INSERT OR UPDATE OR DELETE ON user_sessions
  FOR EACH ROW EXECUTE FUNCTION flip_notify_viewer_change('user_id');
--> statement-breakpoint
CREATE TRIGGER role_grants_notify_viewer
  AFTER INSERT OR UPDATE OR DELETE ON role_grants
  FOR EACH ROW EXECUTE FUNCTION flip_notify_viewer_change('user_id');
--> statement-breakpoint
CREATE TRIGGER auth_factors_notify_viewer
  AFTER INSERT OR UPDATE OR DELETE ON auth_factors
  FOR EACH ROW EXECUTE FUNCTION flip_notify_viewer_change('user_id');
--> statement-breakpoint
CREATE FUNCTION flip_notify_every_viewer() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('flip_viewer', '*');
  RETURN NULL;
END;
$$;
--> statement-breakpoint
CREATE TRIGGER sites_notify_viewer
  AFTER UPDATE OF code, name OR DELETE ON sites
  FOR EACH ROW EXECUTE FUNCTION flip_notify_every_viewer();
--> statement-breakpoint
-- TRUNCATE fires no row triggers: anything emptied wholesale forgets every viewer.
CREATE TRIGGER users_truncate_notify_viewer
  AFTER TRUNCATE ON users
  FOR EACH STATEMENT EXECUTE FUNCTION flip_notify_every_viewer();
--> statement-breakpoint
CREATE TRIGGER user_sessions_truncate_notify_viewer
  AFTER TRUNCATE ON user_sessions
  FOR EACH STATEMENT EXECUTE FUNCTION flip_notify_every_viewer();
--> statement-breakpoint
CREATE TRIGGER role_grants_truncate_notify_viewer
  AFTER TRUNCATE ON role_grants
  FOR EACH STATEMENT EXECUTE FUNCTION flip_notify_every_viewer();
--> statement-breakpoint
CREATE TRIGGER auth_factors_truncate_notify_viewer
  AFTER TRUNCATE ON auth_factors
  FOR EACH STATEMENT EXECUTE FUNCTION flip_notify_every_viewer();
