//! `vhod`: the server and its admin CLI in one binary.

use std::io::Read;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use secrecy::{ExposeSecret, SecretString};
use serde::Serialize;
use vhod::admin::{self, AdminError, clients::ClientSpec};
use vhod::audit::Audit;
use vhod::config::{Config, ConfigError, Settings};
use vhod::startup::{self, Application};

/// Who the audit log names for CLI actions.
const CLI_ACTOR: &str = "cli";

#[derive(Parser)]
#[command(name = "vhod", version, about = "Vhod OpenID Connect provider")]
struct Cli {
    /// Configuration file (default: ./vhod.toml when present).
    #[arg(long, global = true, env = "VHOD_CONFIG")]
    config: Option<PathBuf>,
    /// Print results as JSON.
    #[arg(long, global = true)]
    json: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the provider.
    Serve,
    /// Apply pending database migrations and exit.
    Migrate,
    /// Manage client applications.
    #[command(subcommand)]
    Clients(ClientsCommand),
    /// Manage staff accounts (operators, partners, support, auditors, admins).
    #[command(subcommand)]
    Staff(StaffCommand),
    /// Manage citizen accounts.
    #[command(subcommand)]
    Users(UsersCommand),
    /// Manage signing keys.
    #[command(subcommand)]
    Keys(KeysCommand),
    /// Dynamic client registration.
    #[command(subcommand)]
    Registration(RegistrationCommand),
}

#[derive(Subcommand)]
enum RegistrationCommand {
    /// Issue an initial access token for POST /register (printed once).
    Token {
        /// Lifetime in seconds.
        #[arg(long, default_value_t = 86_400)]
        ttl_secs: i64,
        /// How many registrations it may open (default: unlimited until it expires).
        #[arg(long)]
        uses: Option<i64>,
    },
}

#[derive(Subcommand)]
enum ClientsCommand {
    /// Register a client; its secret is printed once.
    Create(Box<CreateClient>),
    /// List clients.
    List,
    /// Show one client.
    Show {
        /// Client id.
        id: String,
    },
    /// Delete a client.
    Delete {
        /// Client id.
        id: String,
    },
}

#[derive(Args)]
struct CreateClient {
    /// Client id.
    #[arg(long)]
    id: String,
    /// Display name (default: the id).
    #[arg(long)]
    name: Option<String>,
    /// Secret of at least 32 characters (default: a generated 256-bit secret).
    #[arg(long)]
    secret: Option<String>,
    /// Allowed grant type; repeat for several (default: client_credentials).
    #[arg(long = "grant-type")]
    grant_types: Vec<String>,
    /// Allowed scope; repeat or space-separate for several.
    #[arg(long = "scope")]
    scopes: Vec<String>,
    /// Registered redirect URI; repeat for several.
    #[arg(long = "redirect-uri")]
    redirect_uris: Vec<String>,
    /// Audience of its access tokens; repeat for several.
    #[arg(long = "audience")]
    audiences: Vec<String>,
    /// client_secret_basic (default), client_secret_post, or none (public client, PKCE only).
    #[arg(long = "auth-method")]
    auth_method: Option<String>,
    /// public (default) or pairwise subject identifiers.
    #[arg(long = "subject-type")]
    subject_type: Option<String>,
    /// A trusted first-party application: citizens are not asked for consent.
    #[arg(long)]
    first_party: bool,
    /// May be granted the vhod:admin scope (client_credentials) to use the admin API.
    #[arg(long)]
    admin: bool,
    /// Where RP-initiated logout may return; repeat for several.
    #[arg(long = "post-logout-redirect-uri")]
    post_logout_redirect_uris: Vec<String>,
    /// OIDC Back-Channel Logout receiver.
    #[arg(long)]
    backchannel_logout_uri: Option<String>,
    /// Ending a citizen's session revokes this client's refresh tokens from it.
    #[arg(long)]
    logout_revokes_refresh: bool,
    /// JWK Set JSON with the client's public keys (private_key_jwt).
    #[arg(long, conflicts_with = "jwks_uri")]
    jwks: Option<String>,
    /// URL of the client's JWK Set (private_key_jwt).
    #[arg(long)]
    jwks_uri: Option<String>,
}

#[derive(Subcommand)]
enum UsersCommand {
    /// Create a user with a password.
    Create {
        /// Sign-in name.
        #[arg(long)]
        username: String,
        /// Password (visible to other local users; prefer --password-stdin).
        #[arg(long, conflicts_with = "password_stdin", required_unless_present = "password_stdin")]
        password: Option<String>,
        /// Read the password from standard input.
        #[arg(long)]
        password_stdin: bool,
        /// Given name.
        #[arg(long)]
        given_name: Option<String>,
        /// Family name.
        #[arg(long)]
        family_name: Option<String>,
        /// E-mail address (stored as unverified).
        #[arg(long)]
        email: Option<String>,
    },
    /// Show an account's level, registry check (with the fields that differ) and history.
    Show {
        /// Account id, user name or verified phone number.
        who: String,
    },
}

/// A staff member's fields.
#[derive(Args)]
struct StaffArgs {
    /// Sign-in name (latin letters, digits, `.`, `_`, `-`).
    #[arg(long)]
    username: String,
    /// Full name.
    #[arg(long)]
    name: Option<String>,
    /// Phone for the sign-in code, E.164.
    #[arg(long)]
    phone: Option<String>,
    /// Role (repeat for several): admin, mfc_operator, callcenter_operator, post_operator, partner, support, auditor.
    #[arg(long = "role")]
    roles: Vec<String>,
    /// Office or organisation.
    #[arg(long)]
    office: Option<String>,
}

#[derive(Subcommand)]
enum StaffCommand {
    /// Create a member; prints the initial password once.
    Create(StaffArgs),
    /// List members.
    List,
    /// Show a member.
    Show {
        /// Sign-in name.
        username: String,
    },
    /// Change a member's name, phone, roles or office (what is not given stays).
    Update {
        #[command(flatten)]
        args: StaffArgs,
        /// Disable the member (sessions end at the next request).
        #[arg(long, conflicts_with = "enable")]
        disable: bool,
        /// Enable the member again.
        #[arg(long)]
        enable: bool,
    },
    /// Replace a member's password with a generated one, printed once.
    ResetPassword {
        /// Sign-in name.
        username: String,
    },
}

#[derive(Subcommand)]
enum KeysCommand {
    /// List signing keys and their status.
    List,
    /// Generate the next signing key.
    Rotate {
        /// Sign with it at once instead of after keys.prepublish_secs.
        #[arg(long)]
        now: bool,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let config = match Settings::load(cli.config.as_deref()).and_then(|s| s.validate()) {
        Ok(config) => config,
        Err(e) => return fail(&format!("configuration error: {e}")),
    };
    vhod::telemetry::init(config.log_format, &config.log_level);
    let result = actix_web::rt::System::new().block_on(run(cli.command, cli.json, config));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => fail(&message),
    }
}

fn fail(message: &str) -> ExitCode {
    eprintln!("vhod: {message}");
    ExitCode::FAILURE
}

async fn run(command: Command, json: bool, config: Config) -> Result<(), String> {
    let startup_error = |e: ConfigError| format!("configuration error: {e}");
    if let Command::Serve = command {
        tracing::info!(issuer = config.issuer.as_str(), bind = %config.bind, database = %config.database.redacted(),
                       state = %config.state.redacted(), "starting vhod");
        let app = Application::build(config).await.map_err(startup_error)?;
        return app.run_until_stopped().await.map_err(|e| format!("server error: {e}"));
    }
    let db = startup::open_database(&config).map_err(startup_error)?;
    let audit = Audit::direct(db.clone());
    let admin_error = |e: AdminError| e.to_string();
    match command {
        Command::Serve => unreachable!("handled above"),
        Command::Migrate => print(json, &serde_json::json!({ "status": "migrated" }), "database is up to date"),
        Command::Clients(ClientsCommand::Create(args)) => {
            let args = *args;
            let spec = ClientSpec {
                id: args.id,
                name: args.name,
                secret: args.secret.map(SecretString::from),
                grant_types: args.grant_types,
                scopes: args.scopes,
                redirect_uris: args.redirect_uris,
                audiences: args.audiences,
                auth_method: args.auth_method,
                subject_type: args.subject_type,
                first_party: args.first_party,
                admin: args.admin,
                post_logout_redirect_uris: args.post_logout_redirect_uris,
                backchannel_logout_uri: args.backchannel_logout_uri,
                logout_revokes_refresh: args.logout_revokes_refresh,
                jwks: args.jwks,
                jwks_uri: args.jwks_uri,
            };
            let created = admin::clients::create(&db, &audit, CLI_ACTOR, spec).await.map_err(admin_error)?;
            let mut value = serde_json::to_value(&created.client).map_err(|e| e.to_string())?;
            let mut text = describe_client(&created.client);
            if let Some(secret) = &created.secret {
                value["client_secret"] = secret.expose_secret().into();
                text.push_str(&format!(
                    "\nclient_secret: {}\n(the secret is shown only now; it is stored hashed)",
                    secret.expose_secret()
                ));
            }
            print(json, &value, &text)
        }
        Command::Clients(ClientsCommand::List) => {
            let clients = admin::clients::list(&db).await.map_err(admin_error)?;
            let text = clients
                .iter()
                .map(|c| format!("{}\t{}\t{}", c.client_id, c.grant_types.join(","), c.client_name))
                .collect::<Vec<_>>()
                .join("\n");
            print(json, &clients, &text)
        }
        Command::Clients(ClientsCommand::Show { id }) => {
            let client = admin::clients::show(&db, &id).await.map_err(admin_error)?;
            print(json, &client, &describe_client(&client))
        }
        Command::Clients(ClientsCommand::Delete { id }) => {
            admin::clients::delete(&db, &audit, CLI_ACTOR, &id).await.map_err(admin_error)?;
            print(json, &serde_json::json!({ "deleted": id }), &format!("deleted client {id}"))
        }
        Command::Users(UsersCommand::Create { username, password, password_stdin, given_name, family_name, email }) => {
            let password = match (password, password_stdin) {
                (Some(p), _) => SecretString::from(p),
                (None, _) => {
                    let mut buf = String::new();
                    std::io::stdin().read_to_string(&mut buf).map_err(|e| format!("cannot read password: {e}"))?;
                    SecretString::from(buf.trim_end_matches(['\r', '\n']).to_owned())
                }
            };
            let profile = admin::users::Profile { given_name, family_name, email };
            let user = admin::users::create(&db, &audit, CLI_ACTOR, &username, password, profile)
                .await
                .map_err(admin_error)?;
            print(json, &user, &format!("created user {} (id {})", user.username, user.id))
        }
        Command::Users(UsersCommand::Show { who }) => {
            let account = admin::users::show(&db, &who).await.map_err(admin_error)?;
            let mut text = format!(
                "id: {}\nusername: {}\naccount_level: {}\nphone: {}{}\npassword: {}\nregistry: {}",
                account.id,
                account.username,
                account.account_level,
                account.phone_number.as_deref().unwrap_or("-"),
                if account.phone_number_verified { " (verified)" } else { "" },
                if account.has_password { "set" } else { "none" },
                account.registry_status.as_deref().unwrap_or("-"),
            );
            for m in &account.mismatches {
                text.push_str(&format!("\n  {}: {}", m.field, m.reason));
            }
            for h in &account.history {
                text.push_str(&format!(
                    "\nhistory: {} {} by {} via {} ({})",
                    h.at,
                    h.level,
                    h.verifier,
                    h.method,
                    h.claims.join(",")
                ));
            }
            print(json, &account, &text)
        }
        Command::Staff(command) => staff_command(&db, &audit, json, command).await,
        Command::Registration(RegistrationCommand::Token { ttl_secs, uses }) => {
            let token = vhod::registration::issue_initial_token(&db, &audit, CLI_ACTOR, ttl_secs, uses)
                .await
                .map_err(admin_error)?;
            let value = serde_json::json!({ "initial_access_token": token.expose_secret(), "expires_in": ttl_secs });
            print(json, &value, &format!("initial access token (shown once): {}", token.expose_secret()))
        }
        Command::Keys(command) => {
            let (keys, _) = startup::open_keys(&config, &db).await.map_err(startup_error)?;
            match command {
                KeysCommand::List => {
                    let list = keys.list().await.map_err(|e| e.to_string())?;
                    let text = list
                        .iter()
                        .map(|k| format!("{}\t{}\t{:?}\tactivates_at={}", k.kid, k.alg, k.status, k.activates_at))
                        .collect::<Vec<_>>()
                        .join("\n");
                    print(json, &list, &text)
                }
                KeysCommand::Rotate { now } => {
                    let key = admin::keys::rotate(&keys, &audit, CLI_ACTOR, now).await.map_err(admin_error)?;
                    let text = format!("new key {} ({:?}), signs from {}", key.kid, key.status, key.activates_at);
                    print(json, &key, &text)
                }
            }
        }
    }
}

async fn staff_command(db: &vhod::db::DbPool, audit: &Audit, json: bool, command: StaffCommand) -> Result<(), String> {
    use vhod::staff::members::{self, StaffSpec, StaffView};
    let describe = |m: &StaffView| {
        format!(
            "username: {}\nname: {}\nphone: {}\nroles: {}\noffice: {}\ndisabled: {}",
            m.username,
            m.display_name,
            m.phone,
            m.roles.join(" "),
            m.office,
            m.disabled
        )
    };
    let staff_error = |e: vhod::staff::StaffError| match e {
        vhod::staff::StaffError::Invalid(list) => {
            list.iter().map(|m| format!("{}: {}", m.field, m.reason)).collect::<Vec<_>>().join("; ")
        }
        other => other.to_string(),
    };
    match command {
        StaffCommand::Create(args) => {
            let spec = StaffSpec {
                username: args.username,
                display_name: args.name.unwrap_or_default(),
                phone: args.phone.unwrap_or_default(),
                roles: args.roles,
                office: args.office.unwrap_or_default(),
                disabled: false,
            };
            let (member, password) = members::create(db, audit, CLI_ACTOR, &spec).await.map_err(staff_error)?;
            let mut value = serde_json::to_value(&member).map_err(|e| e.to_string())?;
            value["initial_password"] = password.expose_secret().into();
            let text = format!(
                "{}\ninitial password: {}\n(shown only now; the member signs in with it and an SMS code)",
                describe(&member),
                password.expose_secret()
            );
            print(json, &value, &text)
        }
        StaffCommand::List => {
            let list = members::list(db).await.map_err(staff_error)?;
            let text = list
                .iter()
                .map(|m| {
                    format!(
                        "{}\t{}\t{}\t{}",
                        m.username,
                        m.roles.join(","),
                        m.office,
                        if m.disabled { "disabled" } else { "" }
                    )
                })
                .collect::<Vec<_>>()
                .join("\n");
            print(json, &list, &text)
        }
        StaffCommand::Show { username } => {
            let member = members::show(db, &username).await.map_err(staff_error)?;
            print(json, &member, &describe(&member))
        }
        StaffCommand::Update { args, disable, enable } => {
            let current = members::show(db, &args.username).await.map_err(staff_error)?;
            let spec = StaffSpec {
                username: args.username,
                display_name: args.name.unwrap_or(current.display_name),
                phone: args.phone.unwrap_or(current.phone),
                roles: if args.roles.is_empty() { current.roles } else { args.roles },
                office: args.office.unwrap_or(current.office),
                disabled: if disable {
                    true
                } else if enable {
                    false
                } else {
                    current.disabled
                },
            };
            let member = members::update(db, audit, CLI_ACTOR, &spec).await.map_err(staff_error)?;
            print(json, &member, &describe(&member))
        }
        StaffCommand::ResetPassword { username } => {
            let password = members::reset_password(db, audit, CLI_ACTOR, &username).await.map_err(staff_error)?;
            let value = serde_json::json!({ "username": username, "password": password.expose_secret() });
            print(json, &value, &format!("new password (shown once): {}", password.expose_secret()))
        }
    }
}

fn describe_client(c: &admin::clients::ClientView) -> String {
    format!(
        "client_id: {}\nname: {}\nauth_method: {}\ngrant_types: {}\nscope: {}\nredirect_uris: {}\naudiences: {}\n\
         subject_type: {}\nfirst_party: {}",
        c.client_id,
        c.client_name,
        c.token_endpoint_auth_method,
        c.grant_types.join(" "),
        c.scope,
        c.redirect_uris.join(" "),
        c.audiences.join(" "),
        c.subject_type,
        c.first_party
    )
}

fn print<T: Serialize>(json: bool, value: &T, text: &str) -> Result<(), String> {
    if json {
        println!("{}", serde_json::to_string_pretty(value).map_err(|e| e.to_string())?);
    } else if !text.is_empty() {
        println!("{text}");
    }
    Ok(())
}
