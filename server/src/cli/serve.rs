//! `server serve`: run the API.

use actix_web::{App, HttpServer, web};

use crate::app::AppState;
use crate::auth::KeySet;
use crate::config::Config;
use crate::db;

/// Arguments.
#[derive(Debug, Clone, clap::Args)]
pub struct ServeArgs {
    /// Shared options.
    #[command(flatten)]
    pub common: super::CommonArgs,
}

/// Starts the database (embedded unless `DATABASE_URL`), migrates, and serves
/// until SIGINT/SIGTERM; the embedded cluster is then stopped cleanly.
///
/// # Errors
/// Configuration, database or bind failures.
pub fn run(args: &ServeArgs) -> anyhow::Result<()> {
    let config = Config::load(args.common.config.as_deref())?;
    super::init_logging(config.log_json);
    let (app_url, owner_url, cluster) = super::database(&config)?;
    let n = db::run_migrations(&owner_url)?;
    tracing::info!(applied = n, "migrations");
    let result = serve_with(config, &app_url, &owner_url, |_| Ok(()));
    if let Some(c) = cluster {
        c.stop();
    }
    result
}

/// Serves on `app_url` after `before` ran with the state (the demo seeds
/// there). Prints `listening on http://ADDR` once bound. The lifecycle job
/// (partitions and retention) connects as the owner, through `owner_url`.
///
/// # Errors
/// Database or bind failures.
pub fn serve_with(
    config: Config,
    app_url: &str,
    owner_url: &str,
    before: impl FnOnce(&web::Data<AppState>) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    let workers = if config.workers == 0 {
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(2)
    } else {
        config.workers
    };
    let pool = db::pool(app_url, config.pool_size, config.database_timeout_ms);
    let state = web::Data::new(AppState {
        sync: crate::sync::service::queue(
            pool.clone(),
            config.sync_workers,
            config.sync_group_max,
            std::time::Duration::from_millis(config.database_timeout_ms),
        ),
        pool,
        keys: KeySet::new(
            config.issuer.clone(),
            config.audience.clone(),
            config.access_token_minutes,
        ),
        config,
    });
    actix_web::rt::System::new().block_on(async move {
        db::check_serving_role(&state.pool).await?;
        state
            .keys
            .refresh(&state.pool)
            .await
            .map_err(|e| anyhow::anyhow!("loading signing keys: {e:?}"))?;
        if let Some(pw) = state.config.bootstrap_admin_password.clone()
            && crate::accounts::service::bootstrap_admin(&state, &pw)
                .await
                .map_err(|e| anyhow::anyhow!("bootstrap admin: {e:?}"))?
        {
            tracing::info!("created platform admin `admin`");
        }
        before(&state)?;
        crate::peer_support::retention::spawn(state.clone());
        let mailer = state.config.mail.mailer()?;
        let _scheduler = crate::reports::scheduler::start(state.pool.clone(), mailer)
            .await
            .map_err(|e| anyhow::anyhow!("starting the report scheduler: {e}"))?;
        let _lifecycle = crate::lifecycle::scheduler::start(owner_url.to_owned())
            .await
            .map_err(|e| anyhow::anyhow!("starting the lifecycle job: {e}"))?;
        let bind = state.config.bind;
        let data = state.clone();
        let server = HttpServer::new(move || {
            crate::app::build(App::new().app_data(data.clone()))
                .wrap(actix_web::middleware::from_fn(
                    crate::metrics::record_request,
                ))
                .wrap(actix_web::middleware::Compress::default())
                .wrap(actix_web::middleware::Logger::new("%r %s %Dms").log_target("http"))
        })
        .workers(workers)
        .bind(bind)?;
        for addr in server.addrs() {
            println!("listening on http://{addr}");
        }
        server.run().await?;
        tracing::info!("stopped");
        Ok(())
    })
}
