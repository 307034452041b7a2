/* The audit presets of configs/audit, embedded so `corral audit --preset NAME` needs no file
 * at run time: see audit/policy.cpp. */
    .section .rodata
    .global corral_audit_baseline
    .global corral_audit_baseline_end
    .global corral_audit_restricted
    .global corral_audit_restricted_end
corral_audit_baseline:
    .incbin CORRAL_AUDIT_BASELINE
corral_audit_baseline_end:
corral_audit_restricted:
    .incbin CORRAL_AUDIT_RESTRICTED
corral_audit_restricted_end:
    .section .note.GNU-stack,"",@progbits
