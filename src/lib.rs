//! berth: a web dashboard for Docker Swarm.
