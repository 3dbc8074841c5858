# Customer domains: the delegation check behind 'burrow domain verify'.
$(eval $(call subsystem,domains))
