//! The supervisor learning track (issue 8): the shipped supervisor course
//! (`mobile-core/content/education/supervisor.toml`, validated at load by
//! `mobile_core::education`), a page per module with its self-check as a
//! form, and each attempt recorded against the signed-in account.

use std::collections::BTreeMap;

use actix_web::{HttpRequest, web};
use minijinja::context;
use mobile_core::education::{Course, Module};
use serde::Serialize;

use super::service::{self, supervisor_course};
use super::store::ModuleProgress;
use crate::app::State;
use crate::dashboard::{DashError, PageResult, Session, Templates, html};
use crate::error::AppError;

/// Registers the pages.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/dashboard/learning", web::get().to(course_page))
        .route("/dashboard/learning/{module}", web::get().to(module_page))
        .route("/dashboard/learning/{module}", web::post().to(answer));
}

fn course() -> Result<&'static Course, DashError> {
    Ok(supervisor_course()?)
}

/// A learner's progress on a module as the templates read it.
fn progress_view(p: &ModuleProgress) -> minijinja::Value {
    context! {
        module_id => p.module_id, course_version => p.course_version, attempts => p.attempts,
        best_correct => p.best_correct, questions => p.questions, completed_at => p.completed_at,
    }
}

#[derive(Serialize)]
struct ModuleRow<'a> {
    id: &'a str,
    title: &'a str,
    minutes: u8,
    status: &'static str,
    score: Option<String>,
}

fn status(p: Option<&ModuleProgress>) -> &'static str {
    match p {
        Some(p) if p.completed_at.is_some() => "Completed",
        Some(_) => "Started",
        None => "Not started",
    }
}

async fn course_page(state: State, req: HttpRequest, tpl: web::Data<Templates>) -> PageResult {
    let s = Session::from_request(&state, &req).await?;
    let progress = service::progress(&state, &s.who).await?;
    let course = course()?;
    let modules: Vec<ModuleRow<'_>> = course
        .modules
        .iter()
        .map(|m| {
            let p = progress.get(&m.id);
            ModuleRow {
                id: &m.id,
                title: &m.title,
                minutes: m.minutes,
                status: status(p),
                score: p.map(|p| format!("{} of {}", p.best_correct, p.questions)),
            }
        })
        .collect();
    let completed = modules.iter().filter(|m| m.status == "Completed").count();
    Ok(html(tpl.render(
        "learning.html",
        context! {
            nav => s.nav(), course => context! {
                title => course.title, summary => course.summary, version => course.version,
            },
            modules, completed, total => course.modules.len(),
        },
    )?))
}

fn find_module(id: &str) -> Result<&'static Module, DashError> {
    Ok(service::module(id)?)
}

async fn render_module(
    state: &State,
    s: &Session,
    tpl: &Templates,
    module: &Module,
    feedback: minijinja::Value,
) -> PageResult {
    let progress = service::progress(state, &s.who).await?;
    let p = progress.get(&module.id);
    let course = course()?;
    let position = course.modules.iter().position(|m| m.id == module.id);
    let next = position
        .and_then(|i| course.modules.get(i + 1))
        .map(|m| context! { id => m.id, title => m.title });
    let paragraphs = blocks(&module.text);
    Ok(html(tpl.render(
        "learning_module.html",
        context! {
            nav => s.nav(), module, paragraphs, next,
            status => status(p), progress => p.map(progress_view), feedback,
        },
    )?))
}

/// The module text as blocks: paragraphs separated by blank lines, and a
/// paragraph whose lines all start with "- " as a list.
fn blocks(text: &str) -> Vec<minijinja::Value> {
    text.split("\n\n")
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(|p| {
            let items: Option<Vec<&str>> = p.lines().map(|l| l.trim().strip_prefix("- ")).collect();
            match items {
                Some(items) => context! { items },
                None => context! { text => p },
            }
        })
        .collect()
}

async fn module_page(
    state: State,
    req: HttpRequest,
    tpl: web::Data<Templates>,
    path: web::Path<String>,
) -> PageResult {
    let s = Session::from_request(&state, &req).await?;
    service::learner(&s.who)?;
    let module = find_module(&path)?;
    render_module(&state, &s, &tpl, module, minijinja::Value::UNDEFINED).await
}

/// The chosen option per question from form fields `q0`, `q1`, ...;
/// a question left unanswered is an error naming it.
fn answers(module: &Module, form: &BTreeMap<String, String>) -> Result<Vec<usize>, DashError> {
    (0..module.questions.len())
        .map(|i| {
            form.get(&format!("q{i}"))
                .and_then(|v| v.parse::<usize>().ok())
                .ok_or_else(|| {
                    DashError::App(AppError::invalid(
                        "unanswered",
                        format!("Question {} has no answer: choose one option.", i + 1),
                    ))
                })
        })
        .collect()
}

async fn answer(
    state: State,
    req: HttpRequest,
    tpl: web::Data<Templates>,
    path: web::Path<String>,
    form: web::Form<BTreeMap<String, String>>,
) -> PageResult {
    let s = Session::from_form(&state, &req, form.get("csrf").map_or("", String::as_str)).await?;
    service::learner(&s.who)?;
    let module = find_module(&path)?;
    let grade = service::answer(&state, &s.who, module, &answers(module, &form)?).await?;
    let items: Vec<minijinja::Value> = module
        .questions
        .iter()
        .zip(&grade.feedback)
        .map(|(q, f)| {
            context! {
                prompt => q.prompt,
                chosen => q.options.get(f.chosen).map(|o| o.text.clone()),
                answer => q.options.get(f.correct_option).map(|o| o.text.clone()),
                correct => f.is_correct(),
                explanation => f.explanation,
            }
        })
        .collect();
    let feedback = context! {
        correct => grade.correct, total => grade.total, passed => grade.passed(), items,
        pass_mark => mobile_core::education::PASS_MARK_PERCENT,
    };
    render_module(&state, &s, &tpl, module, feedback).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_lists_become_lists() {
        let b = blocks("One para.\n\n- first\n- second\n\nLast.");
        assert_eq!(b.len(), 3);
        assert_eq!(b[0].get_attr("text").unwrap().as_str(), Some("One para."));
        assert_eq!(b[1].get_attr("items").unwrap().len(), Some(2));
        assert!(b[2].get_attr("items").unwrap().is_undefined());
    }

    #[test]
    fn every_supervisor_module_is_served() {
        let course = course().unwrap();
        assert!(course.modules.len() >= 5);
        for m in &course.modules {
            assert_eq!(find_module(&m.id).unwrap().id, m.id);
        }
        assert!(
            find_module("officer.naps").is_err(),
            "officer modules are the phone's"
        );
    }
}
