-- Roles and teams (issue 18). Every account has a role; teams own stacks. Accounts that exist
-- before this migration become admins (every account was one). A stack with no row in
-- stack_teams (made outside berth, or not yet assigned) belongs to admins and operators only.
ALTER TABLE users ADD COLUMN role TEXT NOT NULL DEFAULT 'viewer'
    CHECK (role IN ('admin', 'operator', 'deployer', 'viewer'));
UPDATE users SET role = 'admin';

-- is_admin stays for the code that reads it; the role is the truth and these keep them equal.
CREATE TRIGGER users_admin_flag_insert AFTER INSERT ON users
    WHEN NEW.is_admin = 1 AND NEW.role <> 'admin'
BEGIN
    UPDATE users SET role = 'admin' WHERE id = NEW.id;
END;
CREATE TRIGGER users_role_insert AFTER INSERT ON users
    WHEN NEW.role = 'admin' AND NEW.is_admin = 0
BEGIN
    UPDATE users SET is_admin = 1 WHERE id = NEW.id;
END;
CREATE TRIGGER users_role_update AFTER UPDATE OF role ON users
BEGIN
    UPDATE users SET is_admin = (NEW.role = 'admin') WHERE id = NEW.id;
END;

CREATE TABLE teams (
    id         INTEGER PRIMARY KEY,
    name       TEXT    NOT NULL UNIQUE COLLATE NOCASE,
    created_at INTEGER NOT NULL
);

CREATE TABLE team_members (
    team_id INTEGER NOT NULL REFERENCES teams(id) ON DELETE CASCADE,
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    PRIMARY KEY (team_id, user_id)
);
CREATE INDEX team_members_user ON team_members(user_id);

-- one owning team per stack
CREATE TABLE stack_teams (
    stack   TEXT    PRIMARY KEY,
    team_id INTEGER NOT NULL REFERENCES teams(id) ON DELETE CASCADE
);
CREATE INDEX stack_teams_team ON stack_teams(team_id);
