// Checks the Kotlin binding surface on the host JVM: construction, records,
// enums, errors and the callback interface. The logic itself is tested in
// Rust and through the Python bindings; this is what an Android app sees.

import java.nio.file.Files
import java.time.Duration
import java.time.Instant
import org.junit.Assert.assertEquals
import org.junit.Assert.assertTrue
import org.junit.Assert.fail
import org.junit.Test
import uniffi.fatigue_coach.ApiTransport
import uniffi.fatigue_coach.CallbackRequest
import uniffi.fatigue_coach.CallbackStatus
import uniffi.fatigue_coach.CheckIn
import uniffi.fatigue_coach.CheckInContext
import uniffi.fatigue_coach.CheckInScale
import uniffi.fatigue_coach.CoachException
import uniffi.fatigue_coach.ConsentLevel
import uniffi.fatigue_coach.ContactMethod
import uniffi.fatigue_coach.FatigueCoach
import uniffi.fatigue_coach.HttpResponse
import uniffi.fatigue_coach.PlanWindowKind
import uniffi.fatigue_coach.offlineCrisisLines
import uniffi.fatigue_coach.RecoveryReason
import uniffi.fatigue_coach.RecoveryStatus
import uniffi.fatigue_coach.ShiftInput
import uniffi.fatigue_coach.ShiftType
import uniffi.fatigue_coach.SleepEpisode
import uniffi.fatigue_coach.SyncStatus
import uniffi.fatigue_coach.SuggestionKind
import uniffi.fatigue_coach.SyncTransport
import uniffi.fatigue_coach.TransportException
import uniffi.fatigue_coach.WearableFormat

class FatigueCoachTest {
    private val now: Instant = Instant.parse("2025-03-10T08:00:00Z")

    private fun open(): FatigueCoach {
        val dir = Files.createTempDirectory("coach")
        return FatigueCoach.open(dir.resolve("coach.db").toString(), "Europe/London")
    }

    private fun night(day: Int): SleepEpisode {
        val start = Instant.parse("2025-03-%02dT23:00:00Z".format(day))
        return SleepEpisode(start, start.plus(Duration.ofHours(8)))
    }

    @Test
    fun opensImportsAndForecasts() {
        open().use { coach ->
            assertEquals(5u, coach.schemaVersion())
            val summary = coach.importSleep((1..9).map { night(it) }, now)
            assertEquals(9u, summary.accepted)
            val reversed = SleepEpisode(now, now.minusSeconds(60))
            assertEquals("end_not_after_start", coach.importSleep(listOf(reversed), now).rejected[0].reason)
            val shift = ShiftInput(Instant.parse("2025-03-10T21:00:00Z"), Instant.parse("2025-03-11T07:00:00Z"))
            coach.importRoster(listOf(shift), now)
            val forecast = coach.forecast(now, 48u)
            assertEquals(1, forecast.size)
            assertEquals(ShiftType.NIGHT, forecast[0].shiftType)
            assertEquals(shift.start, forecast[0].start)
            assertTrue(forecast[0].fatigueIndex in 0.0..100.0)
        }
    }

    @Test
    fun plansABlockOfNights() {
        open().use { coach ->
            val shifts = (11..14).map { d ->
                val start = Instant.parse("2025-03-%02dT22:00:00Z".format(d))
                ShiftInput(start, start.plus(Duration.ofHours(9)))
            }
            coach.importRoster(shifts, now)
            val plan = coach.plan(now, 14u)
            assertEquals(14, plan.days.size)
            val windows = plan.days.flatMap { it.windows }
            assertTrue(windows.all { it.reason.isNotBlank() && it.source.isNotBlank() })
            assertEquals(1, windows.count { it.kind == PlanWindowKind.NAP })
            val nights = plan.benefits.filter { it.nightShift }
            assertEquals(4, nights.size)
            assertTrue(nights.all { it.fatigueIndexWithPlan < it.fatigueIndexWithoutPlan })
            val sleeps = windows.filter {
                it.kind == PlanWindowKind.MAIN_SLEEP || it.kind == PlanWindowKind.NAP ||
                    it.kind == PlanWindowKind.RECOVERY_SLEEP
            }
            assertTrue(plan.reminders.none { r -> sleeps.any { !r.at.isBefore(it.start) && r.at.isBefore(it.end) } })
        }
    }

    @Test
    fun errorsAreTypedExceptions() {
        try {
            FatigueCoach.open("/tmp/never.db", "Not/AZone")
            fail("expected InvalidInput")
        } catch (e: CoachException.InvalidInput) {
            assertTrue(e.detail.contains("zone"))
        }
        open().use { coach ->
            try {
                coach.recordCheckIn(CheckIn(now, CheckInScale.KSS, 12u, CheckInContext.OTHER), now)
                fail("expected InvalidInput")
            } catch (e: CoachException.InvalidInput) {
                assertTrue(e.detail.contains("value"))
            }
        }
    }

    /** A fake of the server, as an Android app would implement it on OkHttp. */
    private class FakeTransport(private val failFirst: Boolean) : SyncTransport {
        val keys = mutableListOf<String>()

        override fun postBatch(idempotencyKey: String, body: String): HttpResponse {
            keys.add(idempotencyKey)
            if (failFirst && keys.size == 1) throw TransportException.Unreachable()
            val n = Regex("\"kind\"").findAll(body).count()
            val results = (0 until n).joinToString(",") { "{\"index\":$it,\"status\":\"stored\"}" }
            val seq = Regex("\"sequence\":(\\d+)").find(body)!!.groupValues[1]
            return HttpResponse(200u, "{\"idempotency_key\":\"$idempotencyKey\",\"results\":[$results],\"cursor\":$seq,\"replayed\":false}")
        }
    }

    @Test
    fun syncsThroughAKotlinTransportAndRetriesWithTheSameKey() {
        open().use { coach ->
            coach.setConsent(ConsentLevel.CHECK_INS)
            coach.recordCheckIn(CheckIn(now, CheckInScale.SAMN_PERELLI, 3u, CheckInContext.BEFORE_SHIFT), now)
            coach.recordLearningProgress("sleep-basics", true, now)
            val transport = FakeTransport(failFirst = true)
            val first = coach.sync(transport, now)
            assertTrue(first.status is SyncStatus.RetryAfter)
            assertEquals(2uL, coach.queueStatus().pending)
            val retryAt = (first.status as SyncStatus.RetryAfter).at
            val second = coach.sync(transport, retryAt)
            assertEquals(SyncStatus.UpToDate, second.status)
            assertEquals(2u, second.recordsStored)
            assertEquals(1, transport.keys.toSet().size)
            assertEquals(2uL, coach.queueStatus().sent)
        }
    }

    private fun healthKitNight(day: Int): String {
        val start = "2025-03-%02dT23:00:00Z".format(day)
        val end = "2025-03-%02dT06:30:00Z".format(day + 1)
        return "{\"type\":\"HKCategoryTypeIdentifierSleepAnalysis\",\"value\":3,\"startDate\":\"$start\"," +
            "\"endDate\":\"$end\",\"sourceBundle\":\"watch\",\"timeZone\":\"Europe/London\"}"
    }

    @Test
    fun importsHealthKitAndScoresTheMorning() {
        open().use { coach ->
            val json = "[" + (1..9).joinToString(",") { healthKitNight(it) } + ",{\"type\":\"HKQuantityTypeIdentifierHeartRateVariabilitySDNN\",\"value\":5000,\"unit\":\"ms\",\"startDate\":\"2025-03-09T02:00:00Z\",\"endDate\":\"2025-03-09T02:01:00Z\",\"sourceBundle\":\"watch\"}]"
            val report = coach.importWearableData(WearableFormat.HEALTH_KIT_JSON, json.toByteArray(), now)
            assertEquals(9u, report.sleepEpisodes)
            assertEquals("out_of_range", report.rejectedByReason[0].reason)
            val morning = coach.morningRecovery(now)
            assertEquals("2025-03-10", morning.localDate)
            assertTrue(morning.status == RecoveryStatus.MISSING_METRICS)
            assertTrue(morning.score!!.toInt() in 0..100)
            assertTrue(morning.reasons.any { it is RecoveryReason.Missing })
            val update = coach.morningUpdate(now, null, 48u)
            assertEquals(morning, update.recovery)
            assertEquals(null, update.wearableImport)
            try {
                coach.importWearableData(WearableFormat.HEALTH_KIT_JSON, "[{".toByteArray(), now)
                fail("expected InvalidInput")
            } catch (e: CoachException.InvalidInput) {
                assertTrue(e.detail.contains("line"))
            }
        }
    }

    @Test
    fun servesTheOfficerLearningTrack() {
        open().use { coach ->
            val module = coach.learningModule(coach.learningCourses()[0].modules[0].id)
            assertTrue(module.questions.isNotEmpty())
            val result = coach.answerSelfCheck(module.id, module.questions.map { 0u }, now)
            assertEquals(module.questions.size.toUInt(), result.total)
            assertEquals(1u, coach.learningSummary().attempts)
            assertEquals(SuggestionKind.NEXT_IN_COURSE, coach.suggestModule(now)!!.kind)
            try {
                coach.learningModule("supervisor.frm-basics")
                fail("expected InvalidInput")
            } catch (e: CoachException.InvalidInput) {
            }
        }
    }

    /** The API endpoints, as an app would reach them on OkHttp. */
    private class FakeApi : ApiTransport {
        val paths = mutableListOf<String>()

        override fun request(method: String, path: String, body: String?): HttpResponse {
            paths.add("$method $path")
            if (path == "/v1/support/directory") {
                return HttpResponse(200u, "{\"supporters\":[],\"services\":[{\"kind\":\"crisis_line\",\"name\":\"Samaritans\",\"contact\":\"116 123\",\"hours\":\"24h\",\"when_to_use\":\"any time\",\"force_specific\":false}]}")
            }
            return HttpResponse(
                201u,
                body!!.dropLast(1) + ",\"id\":\"00000000-0000-0000-0000-000000000001\",\"status\":\"open\"," +
                    "\"created_at\":\"2025-03-10T08:00:00Z\",\"acknowledged_at\":null,\"contacted_at\":null,\"escalated\":false}",
            )
        }
    }

    @Test
    fun requestsACallBackThroughAKotlinTransport() {
        open().use { coach ->
            val api = FakeApi()
            assertEquals("Samaritans", coach.supportDirectory(api).crisisLines[0].name)
            // Built in, for when the directory cannot be fetched.
            assertEquals("999", offlineCrisisLines()[0].contact)
            val request = CallbackRequest(null, ContactMethod.APP, null, now.plusSeconds(3600), now.plusSeconds(7200))
            val made = coach.requestCallback(api, request, now)
            assertEquals(CallbackStatus.OPEN, made.status)
            assertEquals(listOf("GET /v1/support/directory", "POST /v1/support/callbacks"), api.paths)
            assertEquals(1, coach.callbacks().size)
            try {
                coach.requestCallback(api, CallbackRequest(null, ContactMethod.PHONE, null, now.plusSeconds(60), now.plusSeconds(120)), now)
                fail("expected InvalidInput")
            } catch (e: CoachException.InvalidInput) {
                assertTrue(e.detail.contains("contact_detail"))
            }
        }
    }
}
