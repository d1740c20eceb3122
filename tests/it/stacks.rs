//! Stacks pages and actions against a real swarm.
