-- Git sources over https from berth's FROM-scratch image (issue 13): the CA certificates (PEM)
-- a source's server is trusted by besides Mozilla's roots. Public data: not sealed.
ALTER TABLE git_sources ADD COLUMN ca_pem TEXT;
