//! The one cheap-to-clone state every handler gets: database, Docker engine, configuration,
//! and the in-memory auth helpers.

use std::ops::Deref;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use sqlx::SqlitePool;

use crate::auth::attempt::PasswordGate;
use crate::auth::setup::SetupGate;
use crate::auth::throttle::LoginThrottle;
use crate::config::ServeArgs;
use crate::docker::Engine;
use crate::web::assets::Assets;

pub struct Inner {
    pub db: SqlitePool,
    pub docker: Engine,
    /// The live model of the swarm that pages read (kept current by a task `serve` starts).
    pub model: crate::model::Model,
    pub config: ServeArgs,
    pub setup: SetupGate,
    pub throttle: LoginThrottle,
    /// bounds the argon2 work running at once
    pub passwords: PasswordGate,
    pub assets: Assets,
    /// Deploys and removals of stacks, running or remembered.
    pub deploys: crate::stack::jobs::Deploys,
    /// The registries' current digests of running images ("update available").
    pub freshness: crate::registry::freshness::Freshness,
    /// berth's own metrics (request latencies, open streams) and the live-stream bound
    pub telemetry: crate::web::metrics::Telemetry,
    /// the latest render of each live part, shared by its viewers' streams
    pub live_renders: crate::web::live::Renders,
    /// The rate limit of each deploy webhook.
    pub hook_limits: crate::stack::webhook::Limiter,
    /// Syncs of git-backed stacks.
    pub git: crate::stack::git::GitSync,
    /// The alert engine's handle (settings changed: reload).
    pub alerts: crate::alerts::Alerts,
    /// The berth agents (one per node) and the usage they report.
    pub agents: crate::agent::hub::Hub,
    /// The consoles open now, per user (bounded).
    pub consoles: crate::web::console::Consoles,
    /// OpenID Connect: the provider's discovery and keys, cached; the sign-in page's link.
    pub oidc: crate::auth::oidc::provider::Cache,
    needs_setup: AtomicBool,
    plain_http_noted: AtomicBool,
    shutdown: tokio::sync::watch::Sender<bool>,
}

#[derive(Clone)]
pub struct AppState(Arc<Inner>);

impl Deref for AppState {
    type Target = Inner;
    fn deref(&self) -> &Inner {
        &self.0
    }
}

impl AppState {
    /// Opens the database, creates the admin from BERTH_ADMIN_PASSWORD_FILE if asked to, and
    /// issues (and logs) a setup code while no admin exists.
    pub async fn new(config: ServeArgs) -> anyhow::Result<AppState> {
        let db = crate::db::open(&config.data_dir, config.secret_key_file.as_deref()).await?;
        let docker = Engine::new(&config.docker_host);
        let model = crate::model::Model::new(config.model_settings());
        let deploys =
            crate::stack::jobs::Deploys::new(db.clone(), docker.clone()).following(model.clone());
        let git = crate::stack::git::GitSync::new(
            db.clone(),
            deploys.clone(),
            &config.data_dir,
            config.git_sync_interval,
        );
        let freshness =
            crate::registry::freshness::Freshness::new(db.clone(), config.image_check_interval);
        let agents = crate::agent::hub::Hub::new(crate::agent::hub::Settings {
            service: config.agent_service.clone(),
            port: 9000,
            interval: config.agent_interval,
            data_dir: config.data_dir.clone(),
            addrs: config.agent_addrs.clone(),
        });
        let state = AppState(Arc::new(Inner {
            git,
            alerts: crate::alerts::Alerts::new(),
            agents,
            consoles: Default::default(),
            oidc: Default::default(),
            db,
            docker,
            model,
            setup: SetupGate::default(),
            throttle: LoginThrottle::default(),
            passwords: PasswordGate::default(),
            assets: Assets::load(),
            deploys,
            freshness,
            telemetry: crate::web::metrics::Telemetry::new(config.max_live_streams as usize),
            live_renders: Default::default(),
            hook_limits: Default::default(),
            needs_setup: AtomicBool::new(true),
            plain_http_noted: AtomicBool::new(false),
            shutdown: tokio::sync::watch::Sender::new(false),
            config,
        }));
        if let Some(path) = state.config.admin_password_file.clone() {
            state.create_admin_from_file(&path).await?;
        }
        state
            .oidc
            .set_link(crate::db::oidc::enabled_name(&state.db).await?);
        let interrupted = crate::db::stacks::fail_interrupted(&state.db).await?;
        if interrupted > 0 {
            tracing::warn!(
                "{interrupted} stack deploy(s) were interrupted by the last shutdown: marked failed"
            );
        }
        let has_admin = crate::db::users::any_admin(&state.db).await?;
        state.needs_setup.store(!has_admin, Ordering::SeqCst);
        if !has_admin {
            let code = state.setup.issue();
            tracing::warn!(
                "no admin account yet: open berth in a browser and enter this one-time code on the setup page"
            );
            tracing::warn!("setup code: {code}");
        }
        Ok(state)
    }

    async fn create_admin_from_file(&self, path: &std::path::Path) -> anyhow::Result<()> {
        if crate::db::users::any_admin(&self.db).await? {
            return Ok(());
        }
        let raw = std::fs::read_to_string(path).map_err(|e| {
            anyhow::anyhow!(
                "cannot read BERTH_ADMIN_PASSWORD_FILE {}: {e}",
                path.display()
            )
        })?;
        let password = raw.trim_end_matches(['\r', '\n']).to_string();
        let username = self.config.admin_username.clone();
        crate::auth::check_username(&username)
            .map_err(|m| anyhow::anyhow!("BERTH_ADMIN_USERNAME {username:?}: {m}"))?;
        crate::auth::check_new_password(&username, &password, &password)
            .map_err(|m| anyhow::anyhow!("BERTH_ADMIN_PASSWORD_FILE {}: {m}", path.display()))?;
        let hash = crate::auth::password::hash(password)
            .await
            .map_err(anyhow::Error::msg)?;
        if crate::db::users::create_first_admin(&self.db, &username, &hash)
            .await?
            .is_some()
        {
            tracing::info!("created admin {username:?} from {}", path.display());
            let entry = crate::db::audit::Entry {
                username: Some(&username),
                ip: None,
                action: crate::db::audit::Action::SetupPasswordFile,
                target: Some(&username),
                outcome: crate::db::audit::Outcome::Ok,
                detail: Some("admin created from BERTH_ADMIN_PASSWORD_FILE"),
            };
            crate::db::audit::record(&self.db, &entry).await?;
        }
        Ok(())
    }

    /// True the first time berth is used over plain HTTP from another machine (it warns once).
    pub fn note_plain_http_use(&self) -> bool {
        !self.plain_http_noted.swap(true, Ordering::Relaxed)
    }

    /// True while no admin exists: every page leads to /setup.
    pub fn needs_setup(&self) -> bool {
        self.needs_setup.load(Ordering::SeqCst)
    }

    /// Resolves when berth starts shutting down: long-lived responses (log streams, deploy
    /// progress) end on it, so a graceful shutdown does not wait for browsers to close them.
    pub fn shutting_down(&self) -> impl std::future::Future<Output = ()> + Send + 'static {
        let mut rx = self.shutdown.subscribe();
        async move {
            let _ = rx.wait_for(|stopping| *stopping).await;
        }
    }

    pub(crate) fn begin_shutdown(&self) {
        self.shutdown.send_replace(true);
    }

    pub(crate) fn setup_done(&self) {
        self.needs_setup.store(false, Ordering::SeqCst);
        self.setup.close();
    }
}
