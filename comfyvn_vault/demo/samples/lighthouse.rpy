define a = Character("Alice")
define b = Character("Bob")

label start:
    scene bg lighthouse
    a "The lamp hasn't turned in forty years. Tonight it did."
    b "Maybe the keeper came back?"
    menu:
        "Climb the stairs":
            jump stairs
        "Wait for morning":
            jump morning

label stairs:
    a "Stay close. The steps are rotten."
    return

label morning:
    b "By daylight, the lamp is dark again."
    return
