/// How long a test waits for a live server's answer before calling it missing: an upper bound only, never waited
/// out when the answer comes, so it is as long as the whole suite beside other work on two cores (a load of 16)
/// can hold an answer up. Tests of a deadline the server keeps use their own, shorter bounds.
let answerLimit = Duration.seconds(30)
