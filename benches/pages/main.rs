//! Page-render benchmarks against a real swarm: `scripts/bench` populates a lab and runs this.
//! Prints figures (server time per page, in-process through the production router); it
//! asserts nothing and is not a test.
//!
//! Usage: cargo bench --bench pages -- [SECTION…]
//!   (sections: dashboard nodes services stacks stack-deploy scale)
//! Environment: BERTH_BENCH_DOCKER_HOST (a lab manager), BERTH_BENCH_ITERATIONS (default 50).

mod common;
mod dashboard;
mod nodes;
mod proxy;
mod scale;
mod services;
mod stack_deploy;
mod stacks;

fn main() {
    let sections: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();
    let want = |s: &str| sections.is_empty() || sections.iter().any(|x| x == s);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        let ctx = common::Bench::new().await;
        if want("dashboard") {
            dashboard::run(&ctx).await;
        }
        if want("nodes") {
            nodes::run(&ctx).await;
        }
        if want("services") {
            services::run(&ctx).await;
        }
        if want("stacks") {
            stacks::run(&ctx).await;
        }
        if want("stack-deploy") {
            stack_deploy::run(&ctx).await;
        }
        if want("scale") {
            scale::run(&ctx).await;
        }
    });
}
