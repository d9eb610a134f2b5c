// FFI overhead and the morning update through the Kotlin bindings on the
// host JVM (the Python twin, bench.py, documents the workload). Run by
// scripts/mobile/bench-bindings.sh; not part of CI; never asserts.

import java.nio.file.Files
import java.time.Duration
import java.time.Instant
import uniffi.fatigue_coach.ConsentLevel
import uniffi.fatigue_coach.FatigueCoach
import uniffi.fatigue_coach.Reading
import uniffi.fatigue_coach.ShiftInput
import uniffi.fatigue_coach.SleepEpisode
import uniffi.fatigue_coach.WearableData
import uniffi.fatigue_coach.WearableFormat
import uniffi.fatigue_coach.libraryVersion

private val start: Instant = Instant.parse("2025-01-01T00:00:00Z")
private const val DAYS = 60L
private const val MORNINGS = 40L

private fun night(day: Long): SleepEpisode {
    val s = start.plus(Duration.ofDays(day)).plus(Duration.ofHours(23))
    return SleepEpisode(s, s.plus(Duration.ofMinutes(450)))
}

/** Night `day` as HealthKit hands it over: sleep, an SDNN reading, resting HR. */
private fun healthKit(day: Long): ByteArray {
    val s = start.plus(Duration.ofDays(day)).plus(Duration.ofHours(23))
    val e = s.plus(Duration.ofMinutes(450))
    val t = s.plus(Duration.ofHours(3))
    val src = "\"sourceBundle\":\"com.apple.health.watch\",\"device\":\"Apple Watch\""
    return ("[{\"type\":\"HKCategoryTypeIdentifierSleepAnalysis\",\"value\":3,\"startDate\":\"$s\",\"endDate\":\"$e\",\"timeZone\":\"Europe/London\",$src}," +
        "{\"type\":\"HKQuantityTypeIdentifierHeartRateVariabilitySDNN\",\"value\":${45.0 + day % 7},\"unit\":\"ms\",\"startDate\":\"$t\",\"endDate\":\"$t\",$src}," +
        "{\"type\":\"HKQuantityTypeIdentifierRestingHeartRate\",\"value\":${55.0 + day % 3},\"unit\":\"count/min\",\"startDate\":\"$e\",\"endDate\":\"$e\",$src}]").toByteArray()
}

private fun morning(day: Long): Instant = start.plus(Duration.ofDays(day + 1)).plus(Duration.ofMinutes(7 * 60 + 45))

private fun coach(): FatigueCoach {
    val c = FatigueCoach.open(Files.createTempDirectory("bench").resolve("bench.db").toString(), "Europe/London")
    c.setConsent(ConsentLevel.CHECK_INS)
    val shifts = (0 until 120 step 8).flatMap { block ->
        (0 until 4).map { k ->
            val d = start.plus(Duration.ofDays((block + k).toLong()))
            ShiftInput(d.plus(Duration.ofHours(7)), d.plus(Duration.ofHours(17)))
        }
    }
    c.importRoster(shifts, start)
    return c
}

private fun report(name: String, samples: MutableList<Double>) {
    samples.sort()
    println("kotlin: %s median %.2f ms, p90 %.2f ms over %d mornings".format(
        name, samples[samples.size / 2], samples[(samples.size * 9) / 10], samples.size))
}

fun main() {
    coach().use { separate ->
        coach().use { single ->
            separate.importSleep((0 until DAYS).map { night(it) }, start)
            for (d in 0 until DAYS) {
                single.importWearableData(WearableFormat.HEALTH_KIT_JSON, healthKit(d), morning(d))
            }
            val n = 200_000
            repeat(n) { libraryVersion() } // warm-up for the JIT
            var t0 = System.nanoTime()
            repeat(n) { libraryVersion() }
            val perCall = (System.nanoTime() - t0) / n.toDouble()
            t0 = System.nanoTime()
            repeat(n / 100) { separate.queueStatus() }
            val perRead = (System.nanoTime() - t0) / (n / 100).toDouble()
            println("kotlin: trivial call (libraryVersion) %.2f us/call".format(perCall / 1e3))
            println("kotlin: store read (queueStatus) %.1f us/call".format(perRead / 1e3))

            val old = mutableListOf<Double>()
            val new = mutableListOf<Double>()
            for (day in DAYS until DAYS + MORNINGS) {
                val now = morning(day)
                var t = System.nanoTime()
                separate.importSleep(listOf(night(day)), now)
                separate.importHrv(listOf(Reading(now, 48.0)), now)
                separate.importRestingHeartRate(listOf(Reading(now, 56.0)), now)
                separate.forecast(now, 48u)
                separate.coachingMessages(now)
                separate.queueStatus()
                old.add((System.nanoTime() - t) / 1e6)
                val data = WearableData(WearableFormat.HEALTH_KIT_JSON, healthKit(day))
                t = System.nanoTime()
                single.morningUpdate(now, data, 48u)
                new.add((System.nanoTime() - t) / 1e6)
            }
            report("morning, separate calls", old)
            report("morningUpdate", new)
        }
    }
}
