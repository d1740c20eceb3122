-- Several compose files in one version (issue 13: a git source's paths merged in order, like
-- `docker stack deploy -c a -c b`). `compose` keeps the first file's text; `compose_name` its
-- name (NULL: the editor's docker-compose.yml); `compose_more` the files merged on top of it,
-- in order, as JSON [{"name": "...", "text": "..."}]. Existing rows are single-file versions.
ALTER TABLE stack_versions ADD COLUMN compose_name TEXT;
ALTER TABLE stack_versions ADD COLUMN compose_more TEXT NOT NULL DEFAULT '[]';
