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
import uniffi.fatigue_coach.libraryVersion

private val start: Instant = Instant.parse("2025-01-01T00:00:00Z")
private const val DAYS = 60L

private fun night(day: Long): SleepEpisode {
    val s = start.plus(Duration.ofDays(day)).plus(Duration.ofHours(23))
    return SleepEpisode(s, s.plus(Duration.ofMinutes(450)))
}

fun main() {
    val path = Files.createTempDirectory("bench").resolve("bench.db").toString()
    FatigueCoach.open(path, "Europe/London").use { coach ->
        coach.setConsent(ConsentLevel.CHECK_INS)
        val shifts = (0 until 120 step 8).flatMap { block ->
            (0 until 4).map { k ->
                val d = start.plus(Duration.ofDays((block + k).toLong()))
                ShiftInput(d.plus(Duration.ofHours(7)), d.plus(Duration.ofHours(17)))
            }
        }
        coach.importRoster(shifts, start)
        coach.importSleep((0 until DAYS).map { night(it) }, start)

        val n = 200_000
        repeat(n) { libraryVersion() } // warm-up for the JIT
        var t0 = System.nanoTime()
        repeat(n) { libraryVersion() }
        val perCall = (System.nanoTime() - t0) / n.toDouble()
        t0 = System.nanoTime()
        repeat(n / 100) { coach.queueStatus() }
        val perRead = (System.nanoTime() - t0) / (n / 100).toDouble()

        val samples = mutableListOf<Double>()
        for (day in DAYS until DAYS + 40) {
            val now = start.plus(Duration.ofDays(day + 1)).plus(Duration.ofMinutes(7 * 60 + 45))
            val t = System.nanoTime()
            coach.importSleep(listOf(night(day)), now)
            coach.importHrv(listOf(Reading(now, 48.0)), now)
            coach.importRestingHeartRate(listOf(Reading(now, 56.0)), now)
            coach.forecast(now, 48u)
            coach.coachingMessages(now)
            coach.queueStatus()
            samples.add((System.nanoTime() - t) / 1e6)
        }
        samples.sort()
        println("kotlin: trivial call (libraryVersion) %.2f us/call".format(perCall / 1e3))
        println("kotlin: store read (queueStatus) %.1f us/call".format(perRead / 1e3))
        println("kotlin: morning update median %.2f ms, p90 %.2f ms over %d mornings".format(
            samples[samples.size / 2], samples[(samples.size * 9) / 10], samples.size))
    }
}
