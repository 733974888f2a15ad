-- Each portal process keeps in memory who a browser session is, their project memberships and which
-- site a worker's token belongs to (server/database/notified-cache.ts), and must forget them as soon
-- as anything they were read from changes, whichever process or tool changed it. Every change to
-- those rows notifies on commit: channel flip_viewer with the user's id (a project's status or title:
-- each member's), or '*' when a site's code or name changes (every grant on it shows them); channel
-- flip_site_token with the site's id.
CREATE FUNCTION flip_notify_change() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  channel text := TG_ARGV[0];
  owner_column text := TG_ARGV[1];
BEGIN
  -- No owner column (a table emptied, a change every owner shows): everyone, '*'.
  IF TG_OP = 'TRUNCATE' OR owner_column = '' THEN
    PERFORM pg_notify(channel, '*');
    RETURN NULL;
  END IF;
  IF TG_OP IN ('UPDATE', 'DELETE') THEN
    PERFORM pg_notify(channel, to_jsonb(OLD) ->> owner_column);
  END IF;
  IF TG_OP IN ('INSERT', 'UPDATE') THEN
    PERFORM pg_notify(channel, to_jsonb(NEW) ->> owner_column);
  END IF;
  RETURN NULL;
END;
$$;
--> statement-breakpoint
CREATE TRIGGER users_notify_change
  AFTER INSERT OR UPDATE OR DELETE ON users
  FOR EACH ROW EXECUTE FUNCTION flip_notify_change('flip_viewer', 'id');
--> statement-breakpoint
CREATE TRIGGER user_sessions_notify_change
  AFTER INSERT OR UPDATE OR DELETE ON user_sessions
  FOR EACH ROW EXECUTE FUNCTION flip_notify_change('flip_viewer', 'user_id');
--> statement-breakpoint
CREATE TRIGGER role_grants_notify_change
  AFTER INSERT OR UPDATE OR DELETE ON role_grants
  FOR EACH ROW EXECUTE FUNCTION flip_notify_change('flip_viewer', 'user_id');
--> statement-breakpoint
CREATE TRIGGER auth_factors_notify_change
  AFTER INSERT OR UPDATE OR DELETE ON auth_factors
  FOR EACH ROW EXECUTE FUNCTION flip_notify_change('flip_viewer', 'user_id');
--> statement-breakpoint
CREATE TRIGGER site_tokens_notify_change
  AFTER INSERT OR UPDATE OR DELETE ON site_tokens
  FOR EACH ROW EXECUTE FUNCTION flip_notify_change('flip_site_token', 'site_id');
--> statement-breakpoint
-- A project member's role, and the project's status and title, answer every project procedure of theirs.
CREATE TRIGGER project_members_notify_change
  AFTER INSERT OR UPDATE OF role, user_id, project_id OR DELETE ON project_members
  FOR EACH ROW EXECUTE FUNCTION flip_notify_change('flip_viewer', 'user_id');
--> statement-breakpoint
CREATE FUNCTION flip_notify_project_members() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('flip_viewer', user_id::text) FROM project_members WHERE project_id = OLD.id;
  RETURN NULL;
END;
$$;
--> statement-breakpoint
CREATE TRIGGER projects_notify_change
  AFTER UPDATE OF status, title ON projects
  FOR EACH ROW EXECUTE FUNCTION flip_notify_project_members();
--> statement-breakpoint
-- A site's code and name show on every grant on it (any user's viewer) and with its token.
CREATE TRIGGER sites_notify_viewer_change
  AFTER UPDATE OF code, name OR DELETE ON sites
  FOR EACH ROW EXECUTE FUNCTION flip_notify_change('flip_viewer', '');
--> statement-breakpoint
CREATE TRIGGER sites_notify_site_token_change
  AFTER UPDATE OF code OR DELETE ON sites
  FOR EACH ROW EXECUTE FUNCTION flip_notify_change('flip_site_token', 'id');
--> statement-breakpoint
-- TRUNCATE fires no row triggers: a table emptied wholesale forgets everyone.
CREATE TRIGGER users_truncate_notify_change
  AFTER TRUNCATE ON users
  FOR EACH STATEMENT EXECUTE FUNCTION flip_notify_change('flip_viewer', '');
--> statement-breakpoint
CREATE TRIGGER user_sessions_truncate_notify_change
  AFTER TRUNCATE ON user_sessions
  FOR EACH STATEMENT EXECUTE FUNCTION flip_notify_change('flip_viewer', '');
--> statement-breakpoint
CREATE TRIGGER role_grants_truncate_notify_change
  AFTER TRUNCATE ON role_grants
  FOR EACH STATEMENT EXECUTE FUNCTION flip_notify_change('flip_viewer', '');
--> statement-breakpoint
CREATE TRIGGER auth_factors_truncate_notify_change
  AFTER TRUNCATE ON auth_factors
  FOR EACH STATEMENT EXECUTE FUNCTION flip_notify_change('flip_viewer', '');
--> statement-breakpoint
CREATE TRIGGER project_members_truncate_notify_change
  AFTER TRUNCATE ON project_members
  FOR EACH STATEMENT EXECUTE FUNCTION flip_notify_change('flip_viewer', '');
--> statement-breakpoint
CREATE TRIGGER site_tokens_truncate_notify_change
  AFTER TRUNCATE ON site_tokens
  FOR EACH STATEMENT EXECUTE FUNCTION flip_notify_change('flip_site_token', '');
