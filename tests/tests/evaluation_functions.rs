//! The evaluation's two national read functions of migration
//! `2026-12-05-000100_evaluation_split` (`npws_person_outcomes` and
//! `npws_roster_months`, one call for a window of months) keep the
//! safeguards of the single-period functions they replace: no id column,
//! not executable by PUBLIC, refused inside a force scope, and bad months
//! refused. Run as the runtime role, as the server runs them.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use chrono::NaiveDate;
use diesel::prelude::*;
use diesel::sql_types::{Array, Bool, Date};
use e2e_tests::*;

#[derive(QueryableByName)]
struct B {
    #[diesel(sql_type = Bool)]
    b: bool,
}

fn d(m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, m, day).unwrap()
}

fn call(
    c: &mut PgConnection,
    function: &str,
    from: Vec<NaiveDate>,
    to: Vec<NaiveDate>,
) -> QueryResult<usize> {
    diesel::sql_query(format!("SELECT * FROM {function}($1, $2)"))
        .bind::<Array<Date>, _>(from)
        .bind::<Array<Date>, _>(to)
        .execute(c)
}

#[test]
fn the_window_functions_keep_the_national_safeguards() {
    let c = cluster();
    let db = c.fresh_database();
    let mut conn = PgConnection::establish(&c.cluster.app_url(&db)).unwrap();
    for function in ["npws_person_outcomes", "npws_roster_months"] {
        // October and November 2026 as reporting months: fine (no data).
        let ok = call(
            &mut conn,
            function,
            vec![d(9, 28), d(11, 2)],
            vec![d(11, 1), d(11, 29)],
        );
        assert_eq!(ok.unwrap(), 0, "{function}");
        // Refused: arrays of different lengths, a "month" of 50 days, a
        // month ending before it starts, and 37 months.
        let bad = [
            (vec![d(9, 28), d(11, 2)], vec![d(11, 1)]),
            (vec![d(9, 1)], vec![d(10, 20)]),
            (vec![d(11, 2)], vec![d(11, 1)]),
            (vec![d(1, 5); 37], vec![d(2, 1); 37]),
        ];
        for (from, to) in bad {
            assert!(call(&mut conn, function, from, to).is_err(), "{function}");
        }
        // Refused inside a force scope.
        let scoped = conn.transaction::<_, diesel::result::Error, _>(|c| {
            diesel::sql_query("SELECT set_config('app.force_id', gen_random_uuid()::text, true)")
                .execute(c)?;
            call(c, function, vec![d(11, 2)], vec![d(11, 29)])
        });
        assert!(scoped.is_err(), "{function} in a force scope");
        let no_uuid: B = diesel::sql_query(format!(
            "SELECT NOT EXISTS (SELECT 1 FROM pg_proc p, unnest(p.proallargtypes) t \
             WHERE p.proname = '{function}' AND t = 'uuid'::regtype) AS b"
        ))
        .get_result(&mut conn)
        .unwrap();
        assert!(no_uuid.b, "{function} returns no id");
        let not_public: B = diesel::sql_query(format!(
            "SELECT NOT EXISTS (SELECT 1 FROM pg_proc p, aclexplode(p.proacl) a \
             WHERE p.proname = '{function}' AND a.grantee = 0) AS b"
        ))
        .get_result(&mut conn)
        .unwrap();
        assert!(not_public.b, "PUBLIC cannot execute {function}");
    }
}
