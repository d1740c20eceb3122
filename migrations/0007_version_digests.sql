-- The image every service of a stack version was deployed with, digest included when the
-- registry gave one: JSON {"stack_service": "registry/repo:tag@sha256:…"}. Recorded once the
-- deploy applied its changes; NULL for versions deployed before this, or refused.
ALTER TABLE stack_versions ADD COLUMN images TEXT;
