//! The team's frozen wellbeing week cells (`wellbeing_weeks`): read them,
//! and freeze one that has not been read yet. The serving role may insert a
//! cell but never change one (migration 2026-12-05-000300).

use analytics::wellbeing::{RedCounts, SleepSums, WeekCell};
use chrono::NaiveDate;
use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Date, Integer, Nullable, Uuid as SqlUuid};
use uuid::Uuid;

#[derive(QueryableByName)]
struct CellRow {
    #[diesel(sql_type = Date)]
    week: NaiveDate,
    #[diesel(sql_type = Nullable<Integer>)]
    people: Option<i32>,
    #[diesel(sql_type = Nullable<Integer>)]
    nights: Option<i32>,
    #[diesel(sql_type = Nullable<BigInt>)]
    sleep_minutes: Option<i64>,
    #[diesel(sql_type = Nullable<BigInt>)]
    debt_minutes: Option<i64>,
    #[diesel(sql_type = Nullable<Integer>)]
    banded_nights: Option<i32>,
    #[diesel(sql_type = Nullable<Integer>)]
    red_nights: Option<i32>,
}

fn unsigned<T: TryFrom<i64> + Default>(v: impl Into<i64>) -> T {
    T::try_from(v.into()).unwrap_or_default()
}

impl From<CellRow> for WeekCell {
    fn from(r: CellRow) -> Self {
        let sleep = match (r.people, r.nights, r.sleep_minutes, r.debt_minutes) {
            (Some(people), Some(nights), Some(sleep), Some(debt)) => Some(SleepSums {
                people: unsigned(people),
                nights: unsigned(nights),
                sleep_minutes: unsigned(sleep),
                debt_minutes: unsigned(debt),
            }),
            _ => None,
        };
        let red = match (r.banded_nights, r.red_nights) {
            (Some(banded), Some(red)) => Some(RedCounts {
                banded_nights: unsigned(banded),
                red_nights: unsigned(red),
            }),
            _ => None,
        };
        WeekCell {
            week: r.week,
            sleep,
            red,
        }
    }
}

/// The team's frozen cells among `weeks`, by week.
///
/// # Errors
/// Database errors.
pub fn frozen(
    c: &mut PgConnection,
    force: Uuid,
    team: Uuid,
    weeks: &[NaiveDate],
) -> QueryResult<Vec<WeekCell>> {
    let rows: Vec<CellRow> = diesel::sql_query(
        "SELECT week, people, nights, sleep_minutes, debt_minutes, banded_nights, red_nights \
         FROM wellbeing_weeks WHERE force_id = $1 AND team_id = $2 AND week = ANY($3) \
         ORDER BY week",
    )
    .bind::<SqlUuid, _>(force)
    .bind::<SqlUuid, _>(team)
    .bind::<Array<Date>, _>(weeks)
    .load(c)?;
    Ok(rows.into_iter().map(WeekCell::from).collect())
}

fn signed(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

/// Freezes a cell unless one is already frozen for its week (a concurrent
/// first read: the first to commit wins, and both then read that one).
///
/// # Errors
/// Database errors.
pub fn freeze(c: &mut PgConnection, force: Uuid, team: Uuid, cell: &WeekCell) -> QueryResult<()> {
    let int = |v: u32| i32::try_from(v).unwrap_or(i32::MAX);
    diesel::sql_query(
        "INSERT INTO wellbeing_weeks (force_id, team_id, week, people, nights, sleep_minutes, \
         debt_minutes, banded_nights, red_nights) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
         ON CONFLICT (force_id, team_id, week) DO NOTHING",
    )
    .bind::<SqlUuid, _>(force)
    .bind::<SqlUuid, _>(team)
    .bind::<Date, _>(cell.week)
    .bind::<Nullable<Integer>, _>(cell.sleep.map(|s| int(s.people)))
    .bind::<Nullable<Integer>, _>(cell.sleep.map(|s| int(s.nights)))
    .bind::<Nullable<BigInt>, _>(cell.sleep.map(|s| signed(s.sleep_minutes)))
    .bind::<Nullable<BigInt>, _>(cell.sleep.map(|s| signed(s.debt_minutes)))
    .bind::<Nullable<Integer>, _>(cell.red.map(|r| int(r.banded_nights)))
    .bind::<Nullable<Integer>, _>(cell.red.map(|r| int(r.red_nights)))
    .execute(c)?;
    Ok(())
}
