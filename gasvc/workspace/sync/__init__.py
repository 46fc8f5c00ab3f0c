"""Everything that talks to the server (`gasvc.api`): the connection, the remote a workspace
tracks, datasets, drafts, tags, clone, fetch, pull, push, uploads and remote listings."""
